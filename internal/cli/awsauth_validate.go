package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/awsauthedit"
)

// awsAuthValidateCommand is "kubeiam aws-auth validate". Every problem, a
// YAML error as much as a semantic one, is one line on stdout in one
// format; the verdict is the exit code, with a one-line summary on stderr
// when it is 1.
//
// In a file, a problem is located by the file's own line, as an editor and
// CI annotations count them: "aws-auth.yaml:10: mapRoles: error CODE: ...".
// In a live ConfigMap, by the line within the key's value:
// "kube-system/aws-auth: mapRoles line 3: error CODE: ...".
func awsAuthValidateCommand(d awsAuthDeps, o *awsAuthOptions) *cobra.Command {
	return &cobra.Command{Use: "validate", Short: "Check aws-auth as the authenticator would; exit 1 on errors (for CI)", RunE: func(cmd *cobra.Command, _ []string) error {
		t, err := newAWSAuthTarget(d, o)
		if err != nil {
			return err
		}
		data, exists, err := t.read(cmd.Context())
		if errors.Is(err, awsauthedit.ErrFileFormat) {
			// A file YAML cannot read is one more problem, in their format.
			fmt.Fprintln(d.Out, fileFormatProblem(t.String(), err))
			return withExitCode(1, fmt.Errorf("%s: 1 error: the authenticator rejects the whole document; fix the error above", t))
		}
		if err != nil {
			return err
		}
		if !exists {
			if o.file != "" {
				return withExitCode(1, fmt.Errorf("%s does not exist", t))
			}
			fmt.Fprintf(d.Out, "%s does not exist: no mappings, nothing to validate\n", t)
			return nil
		}
		loc := awsAuthLocator(t)
		_, ps, err := awsauth.Parse(data)
		var pe *awsauth.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintln(d.Out, loc.problem(pe.Key, pe.Line, -1, awsauth.Error, "yaml", pe.Msg))
			return withExitCode(1, fmt.Errorf("%s: 1 error: the authenticator rejects the whole document; fix the error above", t))
		} else if err != nil {
			return withExitCode(1, err)
		}
		for _, p := range ps {
			fmt.Fprintln(d.Out, loc.problem(p.Key, p.Line, p.Index, p.Severity, string(p.Code), p.Message))
		}
		errs, warns := len(ps.Errors()), len(ps.Warnings())
		if errs > 0 {
			fix := "the errors"
			if errs == 1 {
				fix = "the error"
			}
			return withExitCode(1, fmt.Errorf("%s: %d %s, %d %s: the authenticator rejects the whole document; fix %s above", t, errs, awsAuthPlural(errs, "error"), warns, awsAuthPlural(warns, "warning"), fix))
		}
		fmt.Fprintf(d.Out, "%s: valid (%d %s)\n", t, warns, awsAuthPlural(warns, "warning"))
		return nil
	}}
}

// problemLocator writes problems located in a target: by file line when
// fileLine knows it, else by the line within the key.
type problemLocator struct {
	name     string
	fileLine func(key string, line int) int
}

func awsAuthLocator(t awsAuthTarget) problemLocator {
	loc := problemLocator{name: t.String(), fileLine: func(string, int) int { return 0 }}
	if f, ok := t.(*awsAuthFileTarget); ok {
		if file, exists, err := f.load(); err == nil && exists {
			loc.fileLine = file.FileLine
		}
	}
	return loc
}

func (l problemLocator) problem(key string, line, index int, sev awsauth.Severity, code, msg string) string {
	if n := l.fileLine(key, line); n > 0 {
		return fmt.Sprintf("%s:%d: %s: %s %s: %s", l.name, n, key, sev, code, msg)
	}
	where := key
	if line > 0 {
		where += fmt.Sprintf(" line %d", line)
	} else if index >= 0 {
		where += fmt.Sprintf(" entry %d", index)
	}
	return fmt.Sprintf("%s: %s: %s %s: %s", l.name, where, sev, code, msg)
}

// fileLineMessage finds the file line in a YAML or format error's text
// ("yaml: line 2: did not find expected key", "line 3: key ... given twice").
var fileLineMessage = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// fileFormatProblem writes an error reading the whole file as a problem:
// "FILE:LINE: error yaml: MESSAGE", or "FILE: error yaml: MESSAGE" when the
// error names no line.
func fileFormatProblem(name string, err error) string {
	msg := err.Error()
	if i := strings.Index(msg, awsauthedit.ErrFileFormat.Error()+": "); i >= 0 {
		msg = msg[i+len(awsauthedit.ErrFileFormat.Error())+2:]
	}
	if m := fileLineMessage.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: error yaml: %s", name, m[1], m[2])
	}
	return fmt.Sprintf("%s: error yaml: %s", name, msg)
}

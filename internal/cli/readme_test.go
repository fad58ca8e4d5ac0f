package cli

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestREADMECommandsParse runs every kubeiam command line of the README's
// sh blocks through the real command tree's flag parsing and argument
// checks (without running it), so that the README never shows a flag or
// subcommand the binary does not have.
func TestREADMECommandsParse(t *testing.T) {
	lines := readmeCommands(t)
	if len(lines) < 20 {
		t.Fatalf("found only %d kubeiam command lines in README.md", len(lines))
	}
	for _, line := range lines {
		args, ok := shellWords(line)
		if !ok {
			t.Errorf("README: cannot split %q", line)
			continue
		}
		root := NewRootCommand(testIO(nil))
		cmd, rest, err := root.Find(args[1:])
		if err != nil {
			t.Errorf("README: %q: %v", line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil && !errors.Is(err, pflag.ErrHelp) {
			t.Errorf("README: %q: %v", line, err)
			continue
		}
		if cmd.Args != nil {
			if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
				t.Errorf("README: %q: %v", line, err)
			}
		}
	}
}

// The README's tour promises the response the tour itself promises and the
// webhook gives (internal/server TestTourPromisesTheRealResponse).
func TestREADMETourPromisesTheRealResponse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `# → {"kind":"TokenReview",...,"status":{"user":{},"error":"ARN is not mapped"}}`) {
		t.Error("README's tour does not show the webhook's real response")
	}
}

var redirect = regexp.MustCompile(`\s+[0-9]?[<>]\s*\S+`)

var envPrefix = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*=\S*\s+)+`)

// readmeCommands returns the kubeiam command lines of the README's sh
// blocks: continuations joined, leading VAR=value assignments, comments,
// pipes and command substitutions' surroundings removed.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inSh := false
	var cont string
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(l, "```sh"):
			inSh = true
			continue
		case strings.HasPrefix(l, "```"):
			inSh = false
			continue
		case !inSh:
			continue
		}
		l = cont + strings.TrimSpace(l)
		if strings.HasSuffix(l, `\`) {
			cont = strings.TrimSuffix(l, `\`) + " "
			continue
		}
		cont = ""
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if i := strings.Index(l, "$(AWS_PROFILE"); i >= 0 { // TOKEN=$(... kubeiam token ...)
			l = strings.TrimSuffix(l[i+2:], ")")
		}
		for _, seg := range regexp.MustCompile(`\s(\|\||&&|\||;)\s`).Split(l, -1) {
			seg = envPrefix.ReplaceAllString(strings.TrimSpace(seg), "")
			seg = redirect.ReplaceAllString(seg, "")
			if strings.HasPrefix(seg, "kubeiam ") {
				out = append(out, seg)
			}
		}
	}
	return out
}

// shellWords splits a command line as sh would for plain words and single
// or double quotes (no expansion).
func shellWords(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, quote == 0
}

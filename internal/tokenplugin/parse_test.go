package tokenplugin

import (
	"errors"
	"reflect"
	"testing"

	"github.com/spf13/pflag"
)

// TestParseAgreesWithPflag: kubeiam-token's parser reads every command
// line as cobra's pflag reads it in "kubeiam token", from the same specs.
func TestParseAgreesWithPflag(t *testing.T) {
	lines := [][]string{
		{"--cluster-name", "prod"},
		{"--cluster-name=prod", "--region=eu-west-1"},
		{"-i", "prod", "-r", "arn:aws:iam::111122223333:role/r", "--forward-session-name"},
		{"-i=prod", "--no-cache", "--token-only", "--global-endpoint"},
		{"-iprod", "--no-cache=false", "--audience", "api"},
		{"--cluster-id", "prod", "--profile", "ops", "--session-name", "me", "--external-id", "ext", "--sts-endpoint", "http://127.0.0.1:1", "--cache-dir", "/tmp/c"},
		{"--cluster-name", "--region"}, // a value that looks like a flag
		{"-i", "prod", "--", "--not-a-flag"},
	}
	for _, args := range lines {
		var ours, theirs Flags
		restOurs, errOurs := Parse(ours.Specs(), args)
		fs := pflag.NewFlagSet("token", pflag.ContinueOnError)
		for _, s := range theirs.Specs() {
			if s.Bool != nil {
				fs.BoolVarP(s.Bool, s.Name, s.Shorthand, false, s.Usage)
			} else {
				fs.StringVarP(s.String, s.Name, s.Shorthand, s.Default, s.Usage)
			}
		}
		errTheirs := fs.Parse(args)
		if (errOurs == nil) != (errTheirs == nil) {
			t.Errorf("%q: Parse error %v, pflag error %v", args, errOurs, errTheirs)
			continue
		}
		if !reflect.DeepEqual(ours, theirs) {
			t.Errorf("%q:\nParse %+v\npflag %+v", args, ours, theirs)
		}
		if rest := fs.Args(); len(rest) != len(restOurs) {
			t.Errorf("%q: positional %q, pflag %q", args, restOurs, rest)
		}
	}
}

func TestParseRefusesWhatPflagRefuses(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"-x"}, {"--cluster-name"}, {"--no-cache=maybe"}} {
		var f Flags
		if _, err := Parse(f.Specs(), args); !errors.Is(err, ErrUsage) {
			t.Errorf("Parse(%q) = %v, want a usage error", args, err)
		}
	}
}

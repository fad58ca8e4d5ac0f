package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestHelpShowsNoDevServerDefaults: outside the dev environment, no flag's
// default is the dev server's cluster or endpoint; inside it, the shared
// flags take them from $KUBEIAM_CLUSTER and $KUBEIAM_ENDPOINT.
func TestHelpShowsNoDevServerDefaults(t *testing.T) {
	walkCommands(NewRootCommand(testIO(nil)), func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			devOnly := strings.HasPrefix(f.Usage, "with --dev:") // the dev server's own settings
			if !devOnly && (strings.Contains(f.DefValue, "kubeiam-dev") || strings.Contains(f.DefValue, "21363")) {
				t.Errorf("%s --%s defaults to the dev server's %q", c.CommandPath(), f.Name, f.DefValue)
			}
		})
	})
	env := map[string]string{clusterEnv: "from-env", endpointEnv: "http://127.0.0.1:1"}
	_, out, _ := runWithEnv(t, env, "access-entry", "list", "--help")
	if !strings.Contains(out, `(default "from-env")`) || !strings.Contains(out, `(default "http://127.0.0.1:1")`) {
		t.Errorf("access-entry list --help with the dev environment lacks its defaults:\n%s", out)
	}
}

// TestClusterFlagIsOneFlagEverywhere: every command that takes a cluster
// takes it as --cluster-name, -i and the hidden --cluster-id, all three
// writing the same setting. The token command is listed apart until it
// adopts addClusterFlag.
func TestClusterFlagIsOneFlagEverywhere(t *testing.T) {
	var lines []string
	walkCommands(NewRootCommand(testIO(nil)), func(c *cobra.Command) {
		fl := c.LocalFlags()
		name, alias := fl.Lookup(clusterFlag), fl.Lookup(clusterIDAlias)
		if name == nil && alias == nil {
			return
		}
		if c.Name() == "token" {
			lines = append(lines, c.CommandPath()+": own flags (token command)")
			return
		}
		switch {
		case name == nil || alias == nil:
			t.Errorf("%s has only one of --%s and --%s", c.CommandPath(), clusterFlag, clusterIDAlias)
			return
		case name.Shorthand != clusterShorthand || !alias.Hidden:
			t.Errorf("%s: --%s shorthand %q, --%s hidden %v", c.CommandPath(), clusterFlag, name.Shorthand, clusterIDAlias, alias.Hidden)
		}
		lines = append(lines, fmt.Sprintf("%s: -%s, --%s: %s", c.CommandPath(), name.Shorthand, name.Name, name.Usage))
	})
	golden(t, "consistency/cluster-flags.golden", strings.Join(lines, "\n")+"\n")
}

// TestRootHelpDocumentsExitCodes is the one place the exit codes are
// documented.
func TestRootHelpDocumentsExitCodes(t *testing.T) {
	code, out, _ := runWithEnv(t, nil, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	golden(t, "consistency/root-help.golden", out)
}

// TestUsageErrorsGolden pins the wording of usage errors: each names the
// flag or argument at fault.
func TestUsageErrorsGolden(t *testing.T) {
	var b strings.Builder
	for _, args := range [][]string{
		{"nope"},
		{"access-entry", "list", "--no-such-flag"},
		{"access-entry", "list"},
		{"access-entry", "list", "--endpoint-url", "http://127.0.0.1:1"},
		{"cluster", "update-config", "--authentication-mode", "SOMETIMES"},
		{"verify", "--token", "x"},
		{"server"},
		{"server", "-i", "prod", "--dev-dir", "d"},
		{"server", "--dev", "--state-dir", "s"},
		{"aws-auth", "restore"},
		{"migrate", "apply"},
	} {
		code, _, stderr := runWithEnv(t, nil, args...)
		fmt.Fprintf(&b, "$ kubeiam %s\n%s(exit %d)\n\n", strings.Join(args, " "), stderr, code)
	}
	golden(t, "consistency/usage-errors.golden", b.String())
}

func walkCommands(c *cobra.Command, visit func(*cobra.Command)) {
	visit(c)
	for _, sub := range c.Commands() {
		walkCommands(sub, visit)
	}
}

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// complete runs cobra's hidden __complete command, as the shell scripts
// "kubeiam completion bash|zsh|fish" do, and returns the candidates.
func complete(t *testing.T, env map[string]string, args ...string) []string {
	t.Helper()
	code, out, stderr := runWithEnv(t, env, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, stderr)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, ":") { // the last line is the directive
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
	}
	return got
}

func TestCompletionOfFlagValues(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(config, []byte("[default]\nregion = us-east-1\n[profile creator]\nregion = us-east-1\n[sso-session corp]\nsso_region = us-east-1\n[ profile  developer ]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[creator]\naws_access_key_id = x\n[ci]\naws_access_key_id = y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": creds, "HOME": dir}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"cluster", "update-config", "--authentication-mode", ""}, "CONFIG_MAP API_AND_CONFIG_MAP API"},
		{[]string{"server", "--authentication-mode", ""}, "CONFIG_MAP API_AND_CONFIG_MAP API"},
		{[]string{"access-entry", "create", "--type", ""}, "STANDARD FARGATE_LINUX EC2_LINUX EC2_WINDOWS EC2 HYBRID_LINUX HYPERPOD_LINUX"},
		{[]string{"access-policy", "associate", "--scope", ""}, "cluster namespace"},
		{[]string{"access-policy", "associate", "--access-scope", ""}, "type=cluster type=namespace,namespaces="},
		{[]string{"access-entry", "list", "--profile", ""}, "default creator developer ci"},
		{[]string{"whoami", "--profile", ""}, "default creator developer ci"},
	} {
		if got := strings.Join(complete(t, env, tt.args...), " "); got != tt.want {
			t.Errorf("%q: completes %q; want %q", tt.args, got, tt.want)
		}
	}
	policies := complete(t, env, "access-policy", "associate", "--policy-arn", "")
	if !strings.Contains(strings.Join(policies, " "), "AmazonEKSViewPolicy") ||
		!strings.Contains(strings.Join(policies, " "), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy") {
		t.Errorf("--policy-arn completes %q; want the catalog's names and ARNs", policies)
	}
}

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// The scenarios of a broken client, each in the same four steps: put the
// control plane in the state, run the diagnosis a user would run (the
// kubeiam binary), paste the printed fix into sh as printed, and check with
// the real kubectl that the user's original command now succeeds.

// shell runs script in sh with env, kubeiam and kubectl on PATH under those
// names, as a user who pastes a printed fix has them.
func shell(t *testing.T, env []string, script string) result {
	t.Helper()
	return run(t, onPath(env), "/bin/sh", "-c", script)
}

// onPath is env with kubeiam and kubectl on PATH. kubectl needs kubeiam
// there once "kubectl config set-credentials" has rewritten the plugin's
// absolute path relative to the kubeconfig's directory (kubectl
// relativizes paths it writes; client-go looks a bare command up on PATH),
// as happens when both are in the same directory, as here.
func onPath(env []string) []string {
	var e []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PATH=") {
			e = append(e, kv)
		}
	}
	return append(e, "PATH="+filepath.Dir(kubeiamBinary())+":"+filepath.Dir(kubectlPath)+":/bin")
}

// printedFix returns the first printed command that starts with prefix,
// from prefix to the end of its line.
func printedFix(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, prefix); i >= 0 {
			return line[i:]
		}
	}
	t.Fatalf("no fix starting with %q in:\n%s", prefix, out)
	return ""
}

// failure is doctor's output from its first FAIL line: the diagnosis and
// its fix, without the links that passed.
func failure(out string) string {
	if i := strings.Index(out, "FAIL  "); i >= 0 {
		return out[i:]
	}
	return out
}

// normalize replaces what changes from run to run by names.
func normalize(c *harness.Cluster, s string, extra ...string) string {
	pairs := append(extra, c.Kubeiam.Bundle().CAFile, "$CA", c.Kubeiam.URL(""), "$SERVER", c.STSURL, "$STS", c.Dir, "$DIR")
	return strings.NewReplacer(pairs...).Replace(s)
}

// goldenE2E compares got with testdata/NAME; KUBEIAM_UPDATE_GOLDEN=1
// rewrites it.
func goldenE2E(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("KUBEIAM_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (KUBEIAM_UPDATE_GOLDEN=1 creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func doctor(t *testing.T, c *harness.Cluster, env []string, kubeconfig string) result {
	t.Helper()
	return run(t, env, kubeiamBinary(), append([]string{"doctor", "--kubeconfig", kubeconfig, "--sts-endpoint", c.STSURL}, serverFlags(c)...)...)
}

func untilUnauthorized(t *testing.T, env []string, kubeconfig string) {
	t.Helper()
	eventually(t, "kubectl to be Unauthorized", func() string {
		// Without a cached discovery, kubectl says Unauthorized in other words.
		r := run(t, env, kubectlPath, "--kubeconfig", kubeconfig, "get", "svc")
		if r.Code != 1 || (r.Stderr != unauthorized && !strings.HasSuffix(r.Stderr, "error: You must be logged in to the server (the server has asked for the client to provide credentials)\n")) {
			return fmt.Sprintf("exit %d stderr %q", r.Code, r.Stderr)
		}
		return ""
	})
}

func untilOK(t *testing.T, env []string, kubeconfig string, args ...string) {
	t.Helper()
	eventually(t, "kubectl "+strings.Join(args, " ")+" to succeed", func() string {
		if r := run(t, env, kubectlPath, append([]string{"--kubeconfig", kubeconfig}, args...)...); r.Code != 0 {
			return fmt.Sprintf("exit %d stderr %q", r.Code, r.Stderr)
		}
		return ""
	})
}

// Wrong identity in the kubeconfig: its exec plugin runs as the developer
// (AWS_PROFILE in the kubeconfig) where the creator was meant. doctor finds
// the local profile the server accepts and fixes the kubeconfig, not the
// cluster.
func TestDoctorFixesWrongIdentityInKubeconfig(t *testing.T) {
	c := cluster(t)
	kc, err := c.WriteKubeconfig("d2-wrong-profile", localsts.DevDeveloperUser)
	if err != nil {
		t.Fatal(err)
	}
	env := onPath(c.Env(""))
	untilUnauthorized(t, env, kc)
	r := doctor(t, c, env, kc)
	if r.Code != 1 {
		t.Fatalf("doctor: exit %d, want 1\n%s", r.Code, r.Stdout)
	}
	goldenE2E(t, "doctor-wrong-identity-kubeconfig.txt", normalize(c, failure(r.Stdout), kc, "$KUBECONFIG"))
	if strings.Contains(r.Stdout, "access-entry create") || strings.Contains(r.Stdout, "aws-auth add") {
		t.Errorf("the fix gives the wrong identity access:\n%s", r.Stdout)
	}
	mustSucceed(t, shell(t, env, printedFix(t, r.Stdout, "kubectl ")))
	untilOK(t, env, kc, "get", "svc")
}

// Wrong identity in the shell: the kubeconfig leaves the profile to the
// environment, and AWS_PROFILE names the developer. The printed export
// fixes this shell for kubectl and kubeiam alike.
func TestDoctorFixesWrongIdentityInShell(t *testing.T) {
	c := cluster(t)
	kc, err := c.WriteKubeconfig("d2-shell-profile", "")
	if err != nil {
		t.Fatal(err)
	}
	env := onPath(append(c.Env(""), "AWS_PROFILE="+localsts.DevDeveloperUser))
	untilUnauthorized(t, env, kc)
	r := doctor(t, c, env, kc)
	if r.Code != 1 {
		t.Fatalf("doctor: exit %d, want 1\n%s", r.Code, r.Stdout)
	}
	goldenE2E(t, "doctor-wrong-identity-shell.txt", normalize(c, failure(r.Stdout), kc, "$KUBECONFIG"))
	fix := printedFix(t, r.Stdout, "export AWS_PROFILE=")
	mustSucceed(t, shell(t, env, fix+"\nkubectl --kubeconfig "+kc+" get svc"))
}

// Invalid credentials: the kubeconfig's profile holds a secret key STS
// refuses. doctor says CREDENTIALS_REFUSED (not a network failure, not an
// access entry) and prints "aws configure --profile P"; run with the right
// keys on its standard input, as a user types them, it fixes kubectl.
func TestDoctorFixesRefusedCredentials(t *testing.T) {
	c := cluster(t)
	creator, _ := c.Profile(localsts.DevCreatorUser)
	dir := t.TempDir()
	creds, cfg := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(creds, []byte("[broken]\naws_access_key_id = "+creator.AccessKeyID+"\naws_secret_access_key = "+strings.Repeat("x", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[profile broken]\nregion = "+harness.Region+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kc, err := c.WriteKubeconfig("d2-broken", "")
	if err != nil {
		t.Fatal(err)
	}
	env := onPath(c.Env(""))
	mustSucceed(t, run(t, env, kubectlPath, "--kubeconfig", kc, "config", "set-credentials", "d2-broken",
		"--exec-env=AWS_SHARED_CREDENTIALS_FILE="+creds, "--exec-env=AWS_CONFIG_FILE="+cfg, "--exec-env=AWS_PROFILE=broken"))
	untilUnauthorized(t, env, kc)
	r := doctor(t, c, env, kc)
	if r.Code != 1 {
		t.Fatalf("doctor: exit %d, want 1\n%s", r.Code, r.Stdout)
	}
	goldenE2E(t, "doctor-refused-credentials.txt", normalize(c, failure(r.Stdout), kc, "$KUBECONFIG", creds, "$CREDENTIALS", cfg, "$CONFIG", creator.AccessKeyID, "$AKID"))
	fix, _, _ := strings.Cut(printedFix(t, r.Stdout, "aws configure --profile broken"), ";")
	answers := fmt.Sprintf("printf '%%s\\n' %s %s '' '' | ", creator.AccessKeyID, creator.SecretAccessKey)
	mustSucceed(t, shell(t, append(env, "AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_CONFIG_FILE="+cfg), answers+fix))
	untilOK(t, env, kc, "get", "svc")
}

// Mode cannot go back: aws-auth maps an administrator role with no access
// entry, as the dev server's example does (username admin:{{SessionName}},
// system:masters). The switch to API is refused, listing the role as an
// admin and the commands that keep it; the printed "kubeiam migrate apply"
// run as printed, the same switch succeeds and the role still administers
// the cluster, now through its access entry, under the same username.
func TestUpdateConfigRefusesToLockOutAnAdmin(t *testing.T) {
	c := freshCluster(t)
	adminRole := "arn:aws:iam::" + localsts.DevAccount + ":role/" + localsts.DevAdminRole
	applyAWSAuth(t, c, "- rolearn: "+adminRole+"\n  username: admin:{{SessionName}}\n  groups: [system:masters]\n")
	kc, err := c.WriteKubeconfig("d2-admin", localsts.DevDeveloperUser, "--role-arn", adminRole, "--sts-endpoint", c.STSURL)
	if err != nil {
		t.Fatal(err)
	}
	untilOK(t, c.Env(""), kc, "get", "namespaces")
	// The creator's shell: its profile, and a kubeconfig that may read aws-auth.
	env := append(c.Env(localsts.DevCreatorUser), "KUBECONFIG="+c.AdminKubeconfig)
	apiFlags := []string{"--endpoint-url", c.Kubeiam.URL(""), "--ca-file", c.Kubeiam.Bundle().CAFile, "--cluster-name", c.ClusterID}
	update := append([]string{"cluster", "update-config", "--authentication-mode", "API"}, apiFlags...)
	r := run(t, env, kubeiamBinary(), update...)
	if r.Code != 1 {
		t.Fatalf("update-config to API: exit %d, want 1 (refused)\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	goldenE2E(t, "update-config-api-refused.txt", normalize(c, r.Stderr))
	mustSucceed(t, shell(t, env, printedFix(t, r.Stderr, "kubeiam migrate apply ")))
	mustSucceed(t, run(t, env, kubeiamBinary(), update...))
	if r := run(t, env, kubeiamBinary(), append([]string{"cluster", "describe"}, apiFlags...)...); !strings.Contains(r.Stdout, " API ") {
		t.Errorf("mode after the switch:\n%s", r.Stdout)
	}
	untilOK(t, c.Env(""), kc, "get", "namespaces")
	who := mustSucceed(t, run(t, c.Env(""), kubectlPath, "--kubeconfig", kc, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"))
	if !strings.HasPrefix(who.Stdout, "admin:") {
		t.Errorf("username through the migrated entry = %q, want admin:SESSION", who.Stdout)
	}
}

package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// exitCase is one run of a command and the exit code class it must end in.
type exitCase struct {
	args []string
	want string // in stderr (exit 1, 2) or stdout (exit 0)
}

// exitCases are, for every runnable command, a run per exit code class: 2
// bad usage, 1 refused or failed, 0 success. A nil case is explained in
// exitCaseGaps.
type exitCases struct{ usage, failed, ok *exitCase }

// exitCaseGaps say why a command has no case of a class here.
var exitCaseGaps = map[string]string{
	"kubeiam server ok":                        "serves until stopped: TestInitThenServer and internal/server start it",
	"kubeiam sts ok":                           "serves until stopped: sts_test starts it",
	"kubeiam console ok":                       "serves until stopped: console tests start it",
	"kubeiam lab ok":                           "starts etcd and kube-apiserver: the lab tests and e2e",
	"kubeiam lab failed":                       "starts etcd and kube-apiserver: the lab tests and e2e",
	"kubeiam lab build-apiserver failed":       "building kube-apiserver: lab_test",
	"kubeiam store copy ok":                    "needs a Kubernetes API: e2e TestKubeStore",
	"kubeiam access-entry export ok":           "needs a Kubernetes API: e2e TestKubeStore",
	"kubeiam migrate apply ok":                 "migrate_test TestMigrateApplyAgainstTheAPI",
	"kubeiam doctor ok":                        "needs a cluster: doctor tests and e2e",
	"kubeiam logs ok":                          "needs a server: e2e",
	"kubeiam whoami ok":                        "needs a server: whoami_test",
	"kubeiam explain failed":                   "explain's refusals are results (exit 0 with the reason) unless usage",
	"kubeiam verify ok":                        "needs STS: verify_test",
	"kubeiam token failed":                     "owned by the token command's tests",
	"kubeiam sts recreate-role ok":             "writes a local STS config: sts_test",
	"kubeiam sts recreate-role failed":         "fails only on an unwritable directory, which root ignores; bad input is usage",
	"kubeiam token ok":                         "owned by the token command's tests",
	"kubeiam access-policy catalog failed":     "reads only the built-in catalog",
	"kubeiam access-entry name failed":         "pure computation; bad input is usage",
	"kubeiam version failed":                   "cannot fail",
	"kubeiam version usage":                    "takes no flags: the unknown-flag walk covers it",
	"kubeiam who-can failed":                   "needs a cluster: whocan_live_test",
	"kubeiam init failed":                      "fails only on an unwritable directory, which root ignores",
	"kubeiam aws-auth diff add-account failed": "same code path as aws-auth diff add-role",
	"kubeiam aws-auth diff add-sso failed":     "same code path as aws-auth diff add-role",
	"kubeiam aws-auth diff add-user failed":    "same code path as aws-auth diff add-role",
	"kubeiam aws-auth diff remove failed":      "same code path as aws-auth diff add-role",
}

// TestEveryCommandRejectsAnUnknownFlagWithExit2 walks the whole command
// tree.
func TestEveryCommandRejectsAnUnknownFlagWithExit2(t *testing.T) {
	for _, path := range commandPaths(NewRootCommand(testIO(nil))) {
		args := append(strings.Fields(path)[1:], "--no-such-flag")
		code, _, stderr := runWithEnv(t, nil, args...)
		if code != exitUsage || !strings.HasPrefix(stderr, "error: unknown flag: --no-such-flag") {
			t.Errorf("%s --no-such-flag: exit %d, stderr %q; want exit 2 naming the flag", path, code, stderr)
		}
	}
}

// TestEveryCommandExitCodes runs every runnable command once per exit
// code class against a real access-management API on loopback and files
// in a temporary directory.
func TestEveryCommandExitCodes(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	awsAuth := file("aws-auth.yaml", "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/admin\n    username: admin\n    groups: [system:masters]\n")
	readOnly := file("read-only.yaml", "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/admin\n    username: admin\n    groups: [system:masters]\n")
	broken := file("broken.yaml", "mapRoles: |\n  - rolearn: not-an-arn\n")
	t.Setenv("KUBECONFIG", filepath.Join(dir, "no-kubeconfig"))
	dead := deadLoopbackURL(t)
	// Nothing may leave loopback: STS calls go to a closed port.
	t.Setenv("AWS_ENDPOINT_URL_STS", dead)
	env := map[string]string{"KUBEIAM_ENDPOINT": endpoint, "KUBEIAM_CLUSTER": "kubeiam-dev"}
	const role = "arn:aws:iam::111122223333:role/dev"
	c := func(want string, args ...string) *exitCase { return &exitCase{args: args, want: want} }
	kept, gone, assoc := "arn:aws:iam::111122223333:user/kept", "arn:aws:iam::111122223333:user/gone", "arn:aws:iam::111122223333:user/assoc"
	for _, args := range [][]string{
		{"cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"},
		{"access-entry", "create", "--principal-arn", kept},
		{"access-entry", "create", "--principal-arn", gone},
		{"access-entry", "create", "--principal-arn", assoc},
		{"access-policy", "associate", "--principal-arn", assoc, "--policy-arn", "AmazonEKSViewPolicy", "--scope", "cluster"},
	} {
		if code, _, stderr := runWithEnv(t, env, args...); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr)
		}
	}
	backup := file("backup.yaml", "mapUsers: |\n  - userarn: "+kept+"\n    username: kept\n    groups: [system:masters]\n")
	cases := map[string]exitCases{
		"kubeiam access-entry create": {
			usage:  c("--cluster-name is required", "access-entry", "create", "--cluster-name=", "--principal-arn", devARN),
			failed: c("connect", "access-entry", "create", "--endpoint-url", dead, "--principal-arn", devARN),
			ok:     c(devARN, "access-entry", "create", "--principal-arn", devARN),
		},
		"kubeiam access-entry describe": {
			usage:  c("--endpoint-url is required", "access-entry", "describe", "--endpoint-url=", "--principal-arn", kept),
			failed: c("ResourceNotFoundException", "access-entry", "describe", "--principal-arn", role),
			ok:     c(kept, "access-entry", "describe", "--principal-arn", kept),
		},
		"kubeiam access-entry update": {
			usage:  c("--output", "access-entry", "update", "-o", "xml", "--principal-arn", kept),
			failed: c("ResourceNotFoundException", "access-entry", "update", "--principal-arn", role, "--kubernetes-groups", "x"),
			ok:     c("viewers", "access-entry", "update", "--principal-arn", kept, "--kubernetes-groups", "viewers"),
		},
		"kubeiam access-entry list": {
			usage:  c("--cluster-name is required", "access-entry", "list", "-i", ""),
			failed: c("UnrecognizedClientException", "access-entry", "list", "-i", "other"),
			ok:     c(kept, "access-entry", "list"),
		},
		"kubeiam access-policy associate": {
			usage:  c("--cluster-name is required", "access-policy", "associate", "--cluster-id=", "--principal-arn", kept, "--policy-arn", "AmazonEKSViewPolicy"),
			failed: c("ResourceNotFoundException", "access-policy", "associate", "--principal-arn", role, "--policy-arn", "AmazonEKSViewPolicy", "--scope", "cluster"),
			ok:     c("AmazonEKSViewPolicy", "access-policy", "associate", "--principal-arn", kept, "--policy-arn", "AmazonEKSViewPolicy", "--scope", "cluster"),
		},
		"kubeiam access-policy list": {
			usage:  c("--endpoint-url is required", "access-policy", "list", "--endpoint-url=", "--principal-arn", assoc),
			failed: c("ResourceNotFoundException", "access-policy", "list", "--principal-arn", role),
			ok:     c("AmazonEKSViewPolicy", "access-policy", "list", "--principal-arn", kept),
		},
		"kubeiam access-policy disassociate": {
			usage:  c("--cluster-name is required", "access-policy", "disassociate", "-i", "", "--principal-arn", assoc, "--policy-arn", "AmazonEKSViewPolicy"),
			failed: c("ResourceNotFoundException", "access-policy", "disassociate", "--principal-arn", role, "--policy-arn", "AmazonEKSViewPolicy"),
			ok:     c("", "access-policy", "disassociate", "--principal-arn", assoc, "--policy-arn", "AmazonEKSViewPolicy"),
		},
		"kubeiam access-entry delete": {
			usage:  c("--cluster-name is required", "access-entry", "delete", "--cluster-name=", "--principal-arn", gone),
			failed: c("ResourceNotFoundException", "access-entry", "delete", "--principal-arn", role),
			ok:     c("", "access-entry", "delete", "--principal-arn", gone),
		},
		"kubeiam access-entry name": {
			usage: c("--principal-arn is required", "access-entry", "name"),
			ok:    c("", "access-entry", "name", "--principal-arn", role),
		},
		"kubeiam access-entry export": {
			usage:  c("nowhere", "access-entry", "export", "--from", "nowhere"),
			failed: c("kubeconfig", "access-entry", "export"),
		},
		"kubeiam access-policy catalog": {
			usage: c("--output", "access-policy", "catalog", "-o", "xml"),
			ok:    c("AmazonEKSViewPolicy", "access-policy", "catalog"),
		},
		"kubeiam cluster describe": {
			usage:  c("--cluster-name is required", "cluster", "describe", "-i", ""),
			failed: c("UnrecognizedClientException", "cluster", "describe", "-i", "other"),
			ok:     c("kubeiam-dev", "cluster", "describe"),
		},
		"kubeiam cluster update-config": {
			usage:  c("--authentication-mode", "cluster", "update-config", "--authentication-mode", "SOMETIMES"),
			failed: c("connect", "cluster", "update-config", "--endpoint-url", dead, "--authentication-mode", "API_AND_CONFIG_MAP"),
			ok:     c("API", "cluster", "update-config", "--authentication-mode", "API", "--force"),
		},
		"kubeiam aws-auth get": {
			usage:  c("--output", "aws-auth", "get", "-f", awsAuth, "-o", "xml"),
			failed: c("kubeconfig", "aws-auth", "get"),
			ok:     c("role/admin", "aws-auth", "get", "-f", awsAuth),
		},
		"kubeiam aws-auth validate": {
			usage:  c("unknown command", "aws-auth", "validate", "extra"),
			failed: c("2 errors", "aws-auth", "validate", "-f", broken),
			ok:     c("", "aws-auth", "validate", "-f", awsAuth),
		},
		"kubeiam aws-auth add-role": {
			usage:  c("--arn is required", "aws-auth", "add-role", "-f", awsAuth),
			failed: c("kubeconfig", "aws-auth", "add-role", "--arn", role, "--groups", "dev"),
			ok:     c("", "aws-auth", "add-role", "-f", awsAuth, "--arn", role, "--groups", "dev"),
		},
		"kubeiam aws-auth add-user": {
			usage:  c("--arn is required", "aws-auth", "add-user", "-f", awsAuth),
			failed: c("kubeconfig", "aws-auth", "add-user", "--arn", devARN, "--groups", "dev"),
			ok:     c("", "aws-auth", "add-user", "-f", awsAuth, "--arn", devARN, "--groups", "dev"),
		},
		"kubeiam aws-auth add-account": {
			usage:  c("account", "aws-auth", "add-account", "-f", awsAuth),
			failed: c("kubeconfig", "aws-auth", "add-account", "--account", "444455556666"),
			ok:     c("", "aws-auth", "add-account", "-f", awsAuth, "--account", "444455556666"),
		},
		"kubeiam aws-auth add-sso": {
			usage:  c("--username is required", "aws-auth", "add-sso", "-f", awsAuth, "--account", "444455556666", "--permission-set", "Dev"),
			failed: c("kubeconfig", "aws-auth", "add-sso", "--account", "444455556666", "--permission-set", "Dev", "--groups", "dev", "--username", "dev:{{SessionName}}"),
			ok:     c("", "aws-auth", "add-sso", "-f", awsAuth, "--account", "444455556666", "--permission-set", "Dev", "--groups", "dev", "--username", "dev:{{SessionName}}"),
		},
		"kubeiam aws-auth remove": {
			usage:  c("--arn", "aws-auth", "remove", "-f", awsAuth),
			failed: c("kubeconfig", "aws-auth", "remove", "--arn", role),
			ok:     c("", "aws-auth", "remove", "-f", awsAuth, "--arn", role),
		},
		"kubeiam aws-auth restore": {
			usage:  c("kubeiam aws-auth restore BACKUP_FILE", "aws-auth", "restore", "-f", awsAuth),
			failed: c("no-such-backup", "aws-auth", "restore", "-f", awsAuth, filepath.Join(dir, "no-such-backup.yaml")),
			ok:     c("", "aws-auth", "restore", "-f", awsAuth, backup),
		},
		"kubeiam aws-auth diff add-role": {
			usage:  c("--arn is required", "aws-auth", "diff", "add-role", "-f", awsAuth),
			failed: c("kubeconfig", "aws-auth", "diff", "add-role", "--arn", role, "--groups", "dev"),
			ok:     c("+", "aws-auth", "diff", "add-role", "-f", awsAuth, "--arn", "arn:aws:iam::111122223333:role/other", "--groups", "dev"),
		},
		"kubeiam aws-auth diff add-user": {
			usage: c("--arn is required", "aws-auth", "diff", "add-user", "-f", awsAuth),
			ok:    c("+", "aws-auth", "diff", "add-user", "-f", awsAuth, "--arn", "arn:aws:iam::111122223333:user/other", "--groups", "dev"),
		},
		"kubeiam aws-auth diff add-account": {
			usage: c("account", "aws-auth", "diff", "add-account", "-f", awsAuth),
			ok:    c("+", "aws-auth", "diff", "add-account", "-f", awsAuth, "--account", "555566667777"),
		},
		"kubeiam aws-auth diff add-sso": {
			usage: c("--username is required", "aws-auth", "diff", "add-sso", "-f", awsAuth, "--account", "444455556666", "--permission-set", "Ops"),
			ok:    c("+", "aws-auth", "diff", "add-sso", "-f", awsAuth, "--account", "555566667777", "--permission-set", "Ops", "--groups", "ops", "--username", "ops:{{SessionName}}"),
		},
		"kubeiam aws-auth diff remove": {
			usage: c("--arn", "aws-auth", "diff", "remove", "-f", awsAuth),
			ok:    c("-", "aws-auth", "diff", "remove", "-f", awsAuth, "--arn", "arn:aws:iam::111122223333:role/admin", "--force"),
		},
		"kubeiam console": {
			usage:  c("--endpoint-url is required", "console", "--endpoint-url="),
			failed: c("console", "console", "--listen", deadLoopbackAddr(t, true)),
		},
		"kubeiam doctor": {
			usage:  c("unknown command", "doctor", "extra"),
			failed: c("credentials", "doctor", "--sts-endpoint", dead),
		},
		"kubeiam explain": {
			usage:  c("no server", "explain"),
			failed: c("ARN_NOT_MAPPED", "explain", "--arn", role, "--aws-auth", readOnly, "--mode", "CONFIG_MAP"),
			ok:     c("system:masters", "explain", "--arn", "arn:aws:iam::111122223333:role/admin", "--aws-auth", readOnly, "--mode", "CONFIG_MAP"),
		},
		"kubeiam init": {
			usage: c("--cluster-name is required", "init", "--cluster-name=", "--state-dir", filepath.Join(dir, "init")),
			ok:    c("kube-apiserver flags", "init", "-i", "prod", "--state-dir", filepath.Join(dir, "init")),
		},
		"kubeiam logs": {
			usage:  c("no server", "logs"),
			failed: c("connect", "logs", "--server", "https://"+deadLoopbackAddr(t, false), "--token", "x"),
		},
		"kubeiam whoami": {
			usage:  c("no server", "whoami"),
			failed: c("connect", "whoami", "--server", "https://"+deadLoopbackAddr(t, false), "--token", "x"),
		},
		"kubeiam verify": {
			usage:  c("--cluster-name is required", "verify", "-i", "", "--token", "x"),
			failed: c("refused", "verify", "--token", "x"),
		},
		"kubeiam migrate plan": {
			usage:  c("--endpoint-url is required", "migrate", "plan", "-f", awsAuth, "--endpoint-url="),
			failed: c("connect", "migrate", "plan", "-f", awsAuth, "--endpoint-url", dead),
			ok:     c("to create", "migrate", "plan", "-f", awsAuth),
		},
		"kubeiam migrate apply": {
			usage:  c("--cluster-name is required", "migrate", "apply", "-f", awsAuth, "-i", ""),
			failed: c("aws-auth has errors", "migrate", "apply", "-f", broken),
		},
		"kubeiam server": {
			usage:  c("clusterID (--cluster-name): required", "server", "--state-dir", filepath.Join(dir, "server")),
			failed: c("address already in use", "server", "-i", "prod", "--cluster-creator-arn", testCreator, "--state-dir", filepath.Join(dir, "server"), "--listen", deadLoopbackAddr(t, true)),
		},
		"kubeiam sts": {
			usage:  c("--config", "sts", "--config", filepath.Join(dir, "none.yaml"), "--write-config", filepath.Join(dir, "w.yaml")),
			failed: c("address already in use", "sts", "--listen", deadLoopbackAddr(t, true)),
		},
		"kubeiam store copy": {
			usage:  c("--from and --to are required", "store", "copy"),
			failed: c("kubeconfig", "store", "copy", "--from", "bolt:"+filepath.Join(dir, "none.db"), "--to", "kubernetes"),
		},
		"kubeiam token": {
			usage: c("--audience", "token", "--audience", "bogus"),
		},
		"kubeiam kubeconfig": {
			usage:  c("--certificate-authority", "kubeconfig", "--server", "https://127.0.0.1:6443", "--certificate-authority", filepath.Join(dir, "none.pem"), "--kubeconfig", filepath.Join(dir, "kc")),
			failed: c("connect", "kubeconfig", "--endpoint-url", dead, "--kubeconfig", filepath.Join(dir, "kc")),
			ok:     c("kind: Config", "kubeconfig", "--server", "https://127.0.0.1:6443", "--dry-run", "--kubeconfig", filepath.Join(dir, "kc")),
		},
		"kubeiam sts recreate-role": {
			usage: c("takes one argument", "sts", "recreate-role"),
		},
		"kubeiam version": {
			ok: c("kubeiam", "version"),
		},
		"kubeiam who-can": {
			usage: c("want VERB RESOURCE", "who-can"),
			ok:    c("role/admin", "who-can", "get", "pods", "--aws-auth", readOnly, "--mode", "CONFIG_MAP"),
		},
		"kubeiam lab": {
			usage: c("unknown command", "lab", "extra"),
		},
		"kubeiam lab build-apiserver": {
			usage: c("unknown command", "lab", "build-apiserver", "extra"),
			ok:    c("kube-apiserver", "lab", "build-apiserver", "--path"),
		},
	}
	for _, path := range runnablePaths(NewRootCommand(testIO(nil))) {
		cs, ok := cases[path]
		if !ok {
			t.Errorf("%s has no exit code cases", path)
			continue
		}
		for _, k := range []struct {
			class string
			code  int
			c     *exitCase
		}{{"usage", exitUsage, cs.usage}, {"failed", exitFailed, cs.failed}, {"ok", exitOK, cs.ok}} {
			if k.c == nil {
				if exitCaseGaps[path+" "+k.class] == "" {
					t.Errorf("%s: no %s case and no reason in exitCaseGaps", path, k.class)
				}
				continue
			}
			code, stdout, stderr := runWithEnv(t, env, k.c.args...)
			where := stderr
			if k.code == exitOK {
				where = stdout
			}
			if code != k.code || !strings.Contains(where, k.c.want) {
				t.Errorf("%s (%s) %q: exit %d, stdout %q, stderr %q; want exit %d with %q", path, k.class, k.c.args, code, stdout, stderr, k.code, k.c.want)
			}
		}
	}
}

func testIO(env map[string]string) IO {
	return IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Now: time.Now,
		Getenv: func(k string) string { return env[k] }}
}

// runWithEnv runs the kubeiam command line with env as its environment.
func runWithEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := testIO(env)
	s.Out, s.Err = &out, &errb
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code := Main(ctx, s, args)
	return code, out.String(), errb.String()
}

// commandPaths lists every command of the tree, help and completion
// included.
func commandPaths(root *cobra.Command) []string {
	var paths []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		paths = append(paths, c.CommandPath())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	walk(root)
	return paths
}

// runnablePaths lists the commands that do something besides listing their
// subcommands, leaving out cobra's own help and completion.
func runnablePaths(root *cobra.Command) []string {
	var paths []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.HasSubCommands() && c.Name() != "help" {
			paths = append(paths, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return paths
}

// deadLoopbackAddr returns a loopback address nothing answers on (a
// listener opened and closed), or, held, one that is taken for the test.
func deadLoopbackAddr(t *testing.T, held bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if held {
		t.Cleanup(func() { ln.Close() })
	} else {
		ln.Close()
	}
	return addr
}

func deadLoopbackURL(t *testing.T) string { return "http://" + deadLoopbackAddr(t, false) }

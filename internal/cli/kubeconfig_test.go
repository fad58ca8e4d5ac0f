package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runKubeconfigCmd(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	code := execute(context.Background(), newKubeconfigCommand(s), &errOut, args)
	return out.String(), errOut.String(), code
}

func TestKubeconfigUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no cluster", args: []string{"--server", "https://k.example.com"}, want: "--cluster-name is required (or set $KUBEIAM_CLUSTER"},
		{name: "no server", args: []string{"--cluster-name", "prod"}, want: "--server is required"},
		{name: "plain http server", args: []string{"--cluster-name", "prod", "--server", "http://k.example.com"}, want: "--server"},
		{name: "role ARN of a user", args: []string{"--cluster-name", "prod", "--server", "https://k", "--role-arn", "arn:aws:iam::111122223333:user/a"}, want: "not a role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kc := filepath.Join(t.TempDir(), "config")
			_, errOut, code := runKubeconfigCmd(t, map[string]string{}, append(tt.args, "--kubeconfig", kc)...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 mentioning %q", code, errOut, tt.want)
			}
			if _, err := os.Stat(kc); err == nil {
				t.Error("a usage error wrote the kubeconfig")
			}
		})
	}
}

// TestKubeconfigDryRunPrintsTheFastPlugin: the exec section is the one the
// README documents: kubeiam-token, --cluster-name, the role and region as
// flags, the profile as AWS_PROFILE, and prompting allowed for MFA.
func TestKubeconfigDryRunPrintsTheFastPlugin(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "config")
	out, errOut, code := runKubeconfigCmd(t, map[string]string{"KUBECONFIG": kc, "KUBEIAM_CLUSTER": "prod"},
		"--server", "https://prod.example.com:6443", "--certificate-authority", ca, "--profile", "ops",
		"--role-arn", "arn:aws:iam::111122223333:role/k8s-admin", "--region", "eu-west-1", "--alias", "prod-admin", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "kubeconfig_dry_run.golden", out)
	if _, err := os.Stat(kc); err == nil {
		t.Error("--dry-run wrote the kubeconfig")
	}
}

// TestKubeconfigAsksDescribeClusterWithoutServer: without --server the
// command asks kubeiam's API (DescribeCluster, with an API token); this
// API reports no endpoint, which is said, with the flag that fixes it.
func TestKubeconfigAsksDescribeClusterWithoutServer(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	kc := filepath.Join(t.TempDir(), "config")
	_, errOut, code := runKubeconfigCmd(t, map[string]string{}, "--cluster-name", "kubeiam-dev", "--endpoint-url", endpoint, "--kubeconfig", kc)
	if code != 1 || !strings.Contains(errOut, "DescribeCluster of kubeiam-dev names no endpoint: pass --server") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	_, errOut, code = runKubeconfigCmd(t, map[string]string{}, "--cluster-name", "nosuch", "--endpoint-url", endpoint, "--kubeconfig", kc)
	if code != 1 || !strings.Contains(errOut, "describing cluster nosuch") {
		t.Errorf("unknown cluster: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(kc); err == nil {
		t.Error("a failed describe wrote the kubeconfig")
	}
}

// A kubeconfig naming a plugin kubectl cannot find on the PATH is written
// with a warning that says how to install it; none when it is there.
func TestKubeconfigWarnsWhenThePluginIsNotOnPath(t *testing.T) {
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "kubeiam"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path string, args ...string) string {
		t.Helper()
		kc := filepath.Join(t.TempDir(), "config")
		_, errOut, code := runKubeconfigCmd(t, map[string]string{"PATH": path},
			append([]string{"--cluster-name", "prod", "--server", "https://k.example.com", "--kubeconfig", kc}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if _, err := os.Stat(kc); err != nil {
			t.Fatalf("not written: %v", err)
		}
		return errOut
	}
	if errOut := write(bin); !strings.Contains(errOut, "warning: kubeiam-token is not on your PATH") || !strings.Contains(errOut, "--command kubeiam") {
		t.Errorf("kubeiam-token missing: stderr %q, want the warning with the kubeiam fallback", errOut)
	}
	if errOut := write(bin, "--command", "kubeiam"); errOut != "" {
		t.Errorf("kubeiam on the PATH: stderr %q, want none", errOut)
	}
	if err := os.WriteFile(filepath.Join(bin, "kubeiam-token"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if errOut := write(bin); errOut != "" {
		t.Errorf("kubeiam-token on the PATH: stderr %q, want none", errOut)
	}
	if errOut := write(t.TempDir(), "--command", "kubeiam"); !strings.Contains(errOut, "warning: kubeiam is not on your PATH") {
		t.Errorf("kubeiam missing: stderr %q", errOut)
	}
}

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

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }, Now: time.Now}
	code := Main(context.Background(), s, args)
	return code, out.String(), errb.String()
}

func TestServerConfigErrorsNameTheField(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "server.yaml")
	if err := os.WriteFile(cfgFile, []byte("clusterID: prod\nauthenticationMode: API_ONLY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("clusterName: prod\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no cluster id", []string{"server", "--state-dir", dir}, "clusterID (--cluster-name): required"},
		{"bad mode from file", []string{"server", "--config", cfgFile, "--state-dir", dir}, "authenticationMode (--authentication-mode): \"API_ONLY\""},
		{"flag overrides file", []string{"server", "--config", cfgFile, "--authentication-mode", "API", "--cluster-creator-arn", "arn:aws:iam::111122223333:group/x", "--state-dir", dir}, "clusterCreatorARN (--cluster-creator-arn):"},
		{"unknown field in file", []string{"server", "--config", typo}, "clusterName"},
		{"bad timeout", []string{"server", "-i", "x", "--sts-timeout", "soon"}, "--sts-timeout"},
		{"dev with config", []string{"server", "--dev", "--config", cfgFile}, "--config does not go with --dev: dev mode configures itself"},
		{"bad log format", []string{"server", "-i", "x", "--log-format", "xml"}, "log format"},
		{"bad ec2 endpoint", []string{"server", "-i", "x", "--ec2-private-dns", "--ec2-endpoint", "ftp://ec2"}, "ec2.endpoint"},
		{"bad iam endpoint", []string{"server", "-i", "x", "--iam-principal-ids", "--iam-endpoint", "ftp://iam"}, "iam.endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 and %q", code, stderr, tt.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Fatalf("stack trace in stderr: %s", stderr)
			}
		})
	}
}

func TestServerHelpTeaches(t *testing.T) {
	code, out, _ := runCLI(t, "server", "--help")
	for _, want := range []string{"--dev", "--authentication-token-webhook-config-file", "kubeiam server --dev", "--aws-auth-configmap"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("server --help (exit %d) lacks %q", code, want)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"nope"}, {"token", "--bogus"}, {"server", "--listen"}} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 || !strings.HasPrefix(stderr, "error: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with an error line", args, code, stderr)
		}
	}
}

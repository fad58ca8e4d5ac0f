package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/server"
)

// runServerDev runs "server args..." with a dev mode that records its
// options instead of starting.
func runServerDev(t *testing.T, args ...string) (int, string, *server.DevOptions) {
	t.Helper()
	var out, errb bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(string) string { return "" }, Now: time.Now}
	var got *server.DevOptions
	cmd := newServerCommandWith(s, func(_ context.Context, o server.DevOptions) error {
		got = &o
		return nil
	})
	code := execute(context.Background(), cmd, &errb, args)
	return code, errb.String(), got
}

// Issue 10 item 11: --dev silently ignored --sts-endpoint, --sts-timeout,
// --cluster-id, --manager and --state-dir.
func TestServerDevHonoursItsFlags(t *testing.T) {
	const mgr = "arn:aws:iam::111122223333:role/ops"
	code, stderr, o := runServerDev(t, "--dev", "--reset", "--dev-dir", t.TempDir(), "--cluster-name", "other",
		"--sts-endpoint", "http://127.0.0.1:1", "--sts-timeout", "750ms", "--manager", mgr, "--authentication-mode", "API")
	if code != 0 || o == nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if o.ClusterID != "other" || o.STSEndpoint != "http://127.0.0.1:1" || o.STSTimeout != 750*time.Millisecond ||
		!slices.Equal(o.Managers, []string{mgr}) || o.AuthenticationMode != "API" || !o.Reset {
		t.Errorf("dev options %+v", *o)
	}
}

func TestServerDevRefusesFlagsItWouldIgnore(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--dev", "--state-dir", "/tmp/x"}, "--state-dir does not go with --dev: dev mode keeps its state in DEV-DIR/state"},
		{[]string{"--dev", "--cluster-creator-arn", "arn:aws:iam::111122223333:role/a"}, "--cluster-creator-arn does not go with --dev"},
		{[]string{"--dev", "--aws-auth-file", "a.yaml"}, "--aws-auth-file does not go with --dev: dev mode reads DEV-DIR/aws-auth.yaml"},
		{[]string{"--dev", "--tls-cert-file", "c", "--tls-private-key-file", "k"}, "--tls-cert-file does not go with --dev"},
		{[]string{"--dev", "--sts-timeout", "soon"}, "--sts-timeout"},
		{[]string{"--dev-dir", "d", "-i", "x"}, "--dev-dir only goes with --dev"},
		{[]string{"--aws-listen", "127.0.0.1:0", "-i", "x"}, "--aws-listen only goes with --dev"},
		{[]string{"--reset", "-i", "x"}, "--reset only goes with --dev"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stderr, o := runServerDev(t, tt.args...)
			if code != 2 || o != nil || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, started %v, stderr %q; want exit 2 and %q", code, o != nil, stderr, tt.want)
			}
		})
	}
}

// A dev flag with a bad value is bad usage (exit 2), like the same flag
// without --dev, refused before dev mode starts (so before --reset deletes
// anything); it used to be found inside, exit 1.
func TestServerDevRefusesBadValuesAsUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--authentication-mode", "BOGUS"}, `authenticationMode: "BOGUS" must be CONFIG_MAP, API_AND_CONFIG_MAP or API`},
		{[]string{"--listen", "bogus"}, `"bogus" is not host:port`},
		{[]string{"--sts-timeout", "-5s"}, "stsTimeout: -5s must be between 100ms and 1m"},
		{[]string{"--manager", "notanarn"}, `managers[0]: malformed ARN "notanarn"`},
		{[]string{"--cluster-name", "a b"}, `clusterID: "a b" must be at most 100 characters without white space`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{"--dev", "--reset", "--dev-dir", t.TempDir()}, tt.args...)
			code, stderr, o := runServerDev(t, args...)
			if code != 2 || o != nil || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, started %v, stderr %q; want exit 2 and %q", code, o != nil, stderr, tt.want)
			}
		})
	}
}

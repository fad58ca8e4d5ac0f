package cli

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// TestRefusesPlainHTTPBeforeCredentials: every command that sends a
// credential refuses a plain-http endpoint off loopback with exit 2,
// before any credential is loaded or request made, unless
// --insecure-allow-http (issue 10, item 4). No test here reaches the
// network: the refused hosts are never contacted, and the allowed ones
// fail at loading a profile that does not exist.
func TestRefusesPlainHTTPBeforeCredentials(t *testing.T) {
	var loads, clients atomic.Int32
	deps := func() diagDeps {
		s := IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}, Now: time.Now, Getenv: func(string) string { return "" }}
		return diagDeps{io: s,
			loadConfig: func(context.Context, tokengen.CredentialOptions) (aws.Config, error) {
				loads.Add(1)
				return aws.Config{}, errors.New("no credentials in this test")
			},
			httpClient: func(string) (*http.Client, error) { clients.Add(1); return nil, errors.New("no client in this test") },
		}
	}
	const remote = "http://kubeiam.example.com:21363"
	for _, tt := range []struct {
		name  string
		build func() *cobra.Command
		args  []string
	}{
		{"whoami", func() *cobra.Command { return newWhoamiCommandWithDeps(deps()) }, []string{"--server", remote, "-i", "c"}},
		{"logs", func() *cobra.Command { return newLogsCommandWithDeps(deps()) }, []string{"--server", remote, "-i", "c"}},
		{"explain", func() *cobra.Command { return newExplainCommandWithDeps(deps()) }, []string{"--server", remote, "-i", "c", "--arn", devARN}},
		{"cluster describe", func() *cobra.Command { return newClusterCommand(deps().io) }, []string{"describe", "-i", "c", "--endpoint-url", remote, "--profile", "no-such-profile"}},
		{"access-entry list", func() *cobra.Command { return newAccessEntryCommand(deps().io) }, []string{"list", "-i", "c", "--endpoint-url", remote, "--auth", "sigv4", "--profile", "no-such-profile"}},
		{"access-policy associate", func() *cobra.Command { return newAccessPolicyCommand(deps().io) }, []string{"associate", "-i", "c", "--endpoint-url", remote,
			"--principal-arn", devARN, "--policy-arn", "AmazonEKSViewPolicy", "--scope", "cluster", "--profile", "no-such-profile"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			loads.Store(0)
			clients.Store(0)
			_, errOut, code := runDiagCmd(t, tt.build(), tt.args...)
			if code != 2 || !strings.Contains(errOut, "plain http") || !strings.Contains(errOut, "--insecure-allow-http") {
				t.Errorf("exit %d, stderr %q; want exit 2 refusing plain http and naming --insecure-allow-http", code, errOut)
			}
			if loads.Load() != 0 || clients.Load() != 0 || strings.Contains(errOut, "no-such-profile") {
				t.Errorf("credentials loaded (%d) or client built (%d) before the refusal: %s", loads.Load(), clients.Load(), errOut)
			}
			// With the loudly named flag the endpoint passes, and the
			// command goes on to load credentials (which fail here).
			_, errOut, code = runDiagCmd(t, tt.build(), append(tt.args, "--insecure-allow-http")...)
			if strings.Contains(errOut, "plain http") || (loads.Load() == 0 && !strings.Contains(errOut, "no-such-profile")) {
				t.Errorf("with --insecure-allow-http: exit %d, stderr %q; want it past the transport check", code, errOut)
			}
		})
	}
}

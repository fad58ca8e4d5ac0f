package cli

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/api"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
)

// accessT0 is the API's clock in the command tests.
func accessT0() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

// startAccessAPI runs a local STS and the access-management API on one
// loopback server and points the AWS default credential chain at the dev
// user's keys through the environment.
func startAccessAPI(t *testing.T, user string) string {
	t.Helper()
	cfg := localsts.DevConfig(rand.NewChaCha8([32]byte{1}))
	srv, err := localsts.New(cfg, localsts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	creator := "arn:aws:iam::111122223333:user/creator"
	if _, err := st.PutCluster(access.ClusterConfig{Name: "kubeiam-dev", Region: "us-east-1", AccountID: localsts.DevAccount,
		AuthenticationMode: access.ModeConfigMap, BootstrapClusterCreatorAdminPermissions: true, CreatorARN: creator, CreatedAt: accessT0()}, 0); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	// Bearer tokens (the CLI's default) are verified through the local STS,
	// as a real server verifies them through STS; SigV4 (--auth sigv4)
	// against the local STS's secrets.
	verifier, err := sts.NewVerifier(sts.VerifierConfig{ClusterID: "kubeiam-dev", Audience: token.AudienceAPI, Endpoint: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	chain := api.Chain{Bearer: api.BearerAuthenticator{Verifier: verifier}, SigV4: api.SigV4Authenticator{Verify: srv.AuthenticateRequest}}
	h, err := api.New(api.Config{Store: st, Authenticator: chain,
		CreatorARN: creator, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return accessT0() }})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/clusters/", h)
	mux.Handle("/access-policies", h)
	home := t.TempDir()
	for _, name := range []string{"config", "credentials"} {
		if err := os.WriteFile(filepath.Join(home, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var key localsts.AccessKey
	for _, u := range cfg.Accounts[0].Users {
		if u.Name == user {
			key = u.AccessKeys[0]
		}
	}
	for k, v := range map[string]string{
		"HOME": home, "AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": key.AccessKeyID, "AWS_SECRET_ACCESS_KEY": key.SecretAccessKey,
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1",
	} {
		t.Setenv(k, v)
	}
	return hs.URL
}

// runAccess runs one access-management command with KUBEIAM_ENDPOINT set
// to endpoint and returns stdout, stderr and the exit code.
func runAccess(t *testing.T, endpoint string, build func(IO) *cobra.Command, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Now: time.Now,
		Getenv: func(k string) string {
			switch k {
			case "KUBEIAM_ENDPOINT":
				return endpoint
			case "KUBEIAM_CLUSTER":
				return "kubeiam-dev"
			}
			return ""
		}}
	cmd := build(s)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code := execute(context.Background(), cmd, &errOut, args)
	return out.String(), errOut.String(), code
}

const devARN = "arn:aws:iam::111122223333:user/developer"

// updateIDs matches the random update IDs the API answers with.
var updateIDs = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)

func TestAccessManagementCommands(t *testing.T) {
	endpoint := startAccessAPI(t, "creator")
	steps := []struct {
		golden string
		build  func(IO) *cobra.Command
		args   []string
		code   int
	}{
		{"cluster-describe.txt", newClusterCommand, []string{"describe"}, 0},
		{"entry-list-config-map.txt", newAccessEntryCommand, []string{"list"}, 1},
		{"cluster-update-config.txt", newClusterCommand, []string{"update-config", "--authentication-mode", "API_AND_CONFIG_MAP"}, 0},
		{"cluster-update-config-backwards.txt", newClusterCommand, []string{"update-config", "--authentication-mode", "CONFIG_MAP"}, 1},
		{"entry-create.txt", newAccessEntryCommand, []string{"create", "--principal-arn", devARN, "--kubernetes-groups", "devs,oncall", "--tags", "team=a"}, 0},
		{"entry-create-again.txt", newAccessEntryCommand, []string{"create", "--principal-arn", devARN}, 1},
		{"entry-update.txt", newAccessEntryCommand, []string{"update", "--principal-arn", devARN, "--username", "dev"}, 0},
		{"entry-describe.json", newAccessEntryCommand, []string{"describe", "--principal-arn", devARN, "-o", "json"}, 0},
		{"policy-associate.txt", newAccessPolicyCommand, []string{"associate", "--principal-arn", devARN, "--policy-arn", "AmazonEKSViewPolicy", "--access-scope", "type=namespace,namespaces=dev,dev-*"}, 0},
		{"policy-associate-edit.txt", newAccessPolicyCommand, []string{"associate", "--principal-arn", devARN, "--policy-arn", "AmazonEKSEditPolicy", "--scope", "namespace", "--namespaces", "dev"}, 0},
		{"policy-list.txt", newAccessPolicyCommand, []string{"list", "--principal-arn", devARN}, 0},
		{"policy-list.yaml", newAccessPolicyCommand, []string{"list", "--principal-arn", devARN, "-o", "yaml"}, 0},
		{"entry-list.txt", newAccessEntryCommand, []string{"list"}, 0},
		{"entry-list-view.txt", newAccessEntryCommand, []string{"list", "--associated-policy-arn", "AmazonEKSViewPolicy"}, 0},
		{"policy-disassociate.txt", newAccessPolicyCommand, []string{"disassociate", "--principal-arn", devARN, "--policy-arn", "AmazonEKSEditPolicy"}, 0},
		{"entry-delete.txt", newAccessEntryCommand, []string{"delete", "--principal-arn", devARN}, 0},
		{"entry-describe-missing.txt", newAccessEntryCommand, []string{"describe", "--principal-arn", devARN}, 1},
		{"policy-catalog.txt", newAccessPolicyCommand, []string{"catalog"}, 0},
		{"usage-no-principal.txt", newAccessEntryCommand, []string{"create"}, 2},
		{"usage-bad-scope.txt", newAccessPolicyCommand, []string{"associate", "--principal-arn", devARN, "--policy-arn", "AmazonEKSViewPolicy", "--access-scope", "namespaces"}, 2},
		{"usage-bad-output.txt", newClusterCommand, []string{"describe", "-o", "xml"}, 2},
		{"usage-unknown-cluster.txt", newClusterCommand, []string{"describe", "--cluster-name", "prod"}, 1},
		{"usage-unknown-cluster-sigv4.txt", newClusterCommand, []string{"describe", "--cluster-name", "prod", "--auth", "sigv4"}, 1},
	}
	for _, s := range steps {
		t.Run(s.golden, func(t *testing.T) {
			out, errOut, code := runAccess(t, endpoint, s.build, s.args...)
			if code != s.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, s.code, errOut)
			}
			// Update IDs are random UUIDs, as EKS's are.
			golden(t, "accessmgmt/"+s.golden, updateIDs.ReplaceAllString(out+errOut, "UPDATE-ID"))
		})
	}
}

func TestAccessManagementDenied(t *testing.T) {
	endpoint := startAccessAPI(t, "developer")
	_, errOut, code := runAccess(t, endpoint, newClusterCommand, "describe")
	if code != 1 || !strings.Contains(errOut, "AccessDeniedException: User: "+devARN) || !strings.Contains(errOut, "hint: only the cluster creator") {
		t.Errorf("exit %d, stderr %s", code, errOut)
	}
	out, _, code := runAccess(t, "http://127.0.0.1:1", newAccessPolicyCommand, "catalog", "-o", "json")
	if code != 0 || !strings.Contains(out, `"name": "AmazonEKSViewPolicy"`) {
		t.Errorf("catalog must work offline: %d %s", code, out)
	}
}

// A custom username EKS would refuse is refused before anything is sent
// (the endpoint here accepts no connections), with the API's message
// (internal/api's validation tests check the same text over HTTP).
func TestAccessEntryUsernameFailsFast(t *testing.T) {
	const unreachable = "http://127.0.0.1:1"
	// Credentials that exist but are never used, and no instance metadata
	// service to fall back to.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAUNUSED")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "unused")
	t.Setenv("AWS_REGION", "us-east-1")
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"create", "--principal-arn", "arn:aws:iam::111122223333:role/Dev", "--username", "john{{SessionName}}"},
			"InvalidParameterException: The username john{{SessionName}} is invalid, it must include a colon before {{SessionName}}"},
		{[]string{"update", "--principal-arn", "arn:aws:iam::111122223333:role/Dev", "--username", "{{SessionNameRaw}}"},
			"InvalidParameterException: The username {{SessionNameRaw}} is invalid, it must include a colon before {{SessionNameRaw}}"},
		{[]string{"create", "--principal-arn", "arn:aws:iam::111122223333:role/Dev", "--username", "amazon:ops"},
			"InvalidParameterException: The username must not begin with amazon:"},
	}
	for _, tt := range tests {
		t.Run(tt.args[0]+" "+tt.args[len(tt.args)-1], func(t *testing.T) {
			_, errOut, code := runAccess(t, unreachable, newAccessEntryCommand, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.msg) || strings.Contains(errOut, "connection refused") {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.msg)
			}
		})
	}
	// A valid custom username goes through to the API.
	endpoint := startAccessAPI(t, "creator")
	if _, errOut, code := runAccess(t, endpoint, newClusterCommand, "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"); code != 0 {
		t.Fatalf("update-config: %s", errOut)
	}
	out, errOut, code := runAccess(t, endpoint, newAccessEntryCommand, "create", "--principal-arn", "arn:aws:iam::111122223333:role/admin",
		"--username", "admin:{{SessionName}}", "-o", "json")
	if code != 0 || !strings.Contains(out, `"username": "admin:{{SessionName}}"`) {
		t.Errorf("exit %d: %s%s", code, out, errOut)
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
	"github.com/kubeiam/kubeiam/internal/tokengen"
	"github.com/kubeiam/kubeiam/internal/tokengen/ststest"
)

var tokenNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// isolateAWSProcessEnv clears what the AWS SDK reads from the process
// environment by itself, so a developer's setup cannot leak in and nothing
// reaches for IMDS.
func isolateAWSProcessEnv(tb testing.TB) {
	tb.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CA_BUNDLE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
	} {
		tb.Setenv(k, "")
	}
	tb.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// tokenHarness runs "kubeiam token" with a fake environment and clock.
type tokenHarness struct {
	env       map[string]string
	now       time.Time
	cacheDir  string
	loadCalls atomic.Int32
}

// newTokenHarness has example keys in the environment, a fresh HOME and a
// private cache directory.
func newTokenHarness(tb testing.TB) *tokenHarness {
	tb.Helper()
	isolateAWSProcessEnv(tb)
	return &tokenHarness{
		env: map[string]string{
			"HOME":                      tb.TempDir(),
			"AWS_ACCESS_KEY_ID":         tokentest.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY":     tokentest.SecretAccessKey,
			"AWS_EC2_METADATA_DISABLED": "true",
		},
		now:      tokenNow,
		cacheDir: filepath.Join(tb.TempDir(), "kubeiam"),
	}
}

type tokenResult struct {
	stdout, stderr string
	err            error
}

func (h *tokenHarness) run(args ...string) tokenResult {
	var out, errOut bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errOut,
		Getenv: func(k string) string { return h.env[k] }, Now: func() time.Time { return h.now }}
	cmd := newTokenCommandWithDeps(tokenDeps{
		io: s,
		loadConfig: func(ctx context.Context, o tokengen.CredentialOptions) (aws.Config, error) {
			h.loadCalls.Add(1)
			return tokengen.LoadCredentials(ctx, o)
		},
		cacheDir: func() (string, error) { return h.cacheDir, nil },
	})
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return tokenResult{stdout: out.String(), stderr: errOut.String(), err: err}
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

// execCredentialOutput is the shape kubectl reads.
type execCredentialOutput struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Status     struct {
		Token               string `json:"token"`
		ExpirationTimestamp string `json:"expirationTimestamp"`
	} `json:"status"`
}

func parseExecCredential(t *testing.T, out string) execCredentialOutput {
	t.Helper()
	var ec execCredentialOutput
	if err := json.Unmarshal([]byte(out), &ec); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return ec
}

func validateToken(t *testing.T, tok, region string) token.Request {
	t.Helper()
	p, err := partition.New().ForRegion(region)
	if err != nil {
		t.Fatal(err)
	}
	req, err := token.Validator{Partition: p, Now: func() time.Time { return tokenNow.Add(time.Minute) }}.Validate(tok)
	if err != nil {
		t.Fatalf("token does not validate: %v", err)
	}
	return req
}

func TestTokenPrintsTheExecCredentialKubectlAskedFor(t *testing.T) {
	tests := []struct {
		name     string
		execInfo string
		golden   string
	}{
		{name: "no KUBERNETES_EXEC_INFO means v1beta1", golden: "token_v1beta1.golden"},
		{name: "v1beta1", execInfo: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`, golden: "token_v1beta1.golden"},
		{name: "v1", execInfo: `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`, golden: "token_v1.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTokenHarness(t)
			h.env["KUBERNETES_EXEC_INFO"] = tt.execInfo
			r := h.run("--cluster-id", "prod", "--region", "us-west-2", "--no-cache")
			if r.err != nil {
				t.Fatalf("token: %v\nstderr: %s", r.err, r.stderr)
			}
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
			golden(t, tt.golden, r.stdout)
			ec := parseExecCredential(t, r.stdout)
			if ec.Kind != "ExecCredential" || ec.Status.ExpirationTimestamp != "2026-03-14T15:23:26Z" {
				t.Errorf("kind %q, expirationTimestamp %q", ec.Kind, ec.Status.ExpirationTimestamp)
			}
			req := validateToken(t, ec.Status.Token, "us-west-2")
			if req.Endpoint.Host != "sts.us-west-2.amazonaws.com" {
				t.Errorf("token host = %q", req.Endpoint.Host)
			}
		})
	}
}

func TestTokenOnlyAndGlobalEndpoint(t *testing.T) {
	h := newTokenHarness(t)
	r := h.run("-i", "prod", "--token-only", "--global-endpoint", "--no-cache")
	if r.err != nil {
		t.Fatalf("token: %v", r.err)
	}
	tok := strings.TrimSuffix(r.stdout, "\n")
	if !strings.HasPrefix(tok, token.Prefix) || strings.Contains(tok, "\n") {
		t.Fatalf("stdout = %q, want one token line", r.stdout)
	}
	req := validateToken(t, tok, "us-east-1")
	if !req.Endpoint.Global || req.Region != "us-east-1" {
		t.Errorf("endpoint %+v region %q, want the global endpoint signed for us-east-1", req.Endpoint, req.Region)
	}
}

func TestTokenCacheSkipsAWSConfigurationOnAHit(t *testing.T) {
	h := newTokenHarness(t)
	args := []string{"-i", "prod", "--region", "eu-west-1"}
	first := h.run(args...)
	second := h.run(args...)
	if first.err != nil || second.err != nil {
		t.Fatalf("token: %v, %v", first.err, second.err)
	}
	if second.stdout != first.stdout || h.loadCalls.Load() != 1 {
		t.Errorf("second run: same output %v, AWS config loads %d, want a cache hit", second.stdout == first.stdout, h.loadCalls.Load())
	}

	// Another cluster, or other credentials, is another token.
	if r := h.run("-i", "staging", "--region", "eu-west-1"); r.err != nil || h.loadCalls.Load() != 2 {
		t.Errorf("other cluster: err %v, loads %d, want a miss", r.err, h.loadCalls.Load())
	}
	h.env["AWS_ACCESS_KEY_ID"] = "AKIAOTHERKEY"
	if r := h.run(args...); r.err != nil || h.loadCalls.Load() != 3 || r.stdout == first.stdout {
		t.Errorf("other access key: err %v, loads %d, want a new token", r.err, h.loadCalls.Load())
	}
	h.env["AWS_ACCESS_KEY_ID"] = tokentest.AccessKeyID

	// A minute before the token's 14 minutes are up, it is replaced.
	h.now = tokenNow.Add(13 * time.Minute)
	third := h.run(args...)
	if third.err != nil || h.loadCalls.Load() != 4 || third.stdout == first.stdout {
		t.Errorf("after 13 minutes: err %v, loads %d, want a fresh token", third.err, h.loadCalls.Load())
	}
	if ec := parseExecCredential(t, third.stdout); ec.Status.ExpirationTimestamp != "2026-03-14T15:36:26Z" {
		t.Errorf("fresh token expires %s", ec.Status.ExpirationTimestamp)
	}

	// --no-cache neither reads nor writes.
	h.now = tokenNow.Add(14 * time.Minute)
	before := h.loadCalls.Load()
	h.run(append(args, "--no-cache")...)
	h.run(append(args, "--no-cache")...)
	if h.loadCalls.Load() != before+2 {
		t.Error("--no-cache used the cache")
	}
}

func TestTokenWarnsAboutAnUnsafeCacheAndCarriesOn(t *testing.T) {
	h := newTokenHarness(t)
	if err := os.MkdirAll(h.cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(h.cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := h.run("-i", "prod", "--token-only")
	if r.err != nil {
		t.Fatalf("token: %v", r.err)
	}
	if !strings.Contains(r.stderr, "warning: token cache ignored") || !strings.Contains(r.stderr, "chmod 700") {
		t.Errorf("stderr = %q, want a warning saying how to fix the directory", r.stderr)
	}
	if strings.Contains(r.stderr, token.Prefix) {
		t.Error("stderr contains a token")
	}
	if _, err := os.Stat(filepath.Join(h.cacheDir, "tokens.json")); err == nil {
		t.Error("token written into an unsafe directory")
	}
}

func TestTokenRefusesBadInputBeforeLoadingCredentials(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		execInfo string
		want     string
	}{
		{name: "cluster ID with a space", args: []string{"-i", "my cluster"}, want: "--cluster-name"},
		{name: "malformed region", args: []string{"-i", "c", "--region", "useast1"}, want: "invalid region"},
		{name: "role ARN of a user", args: []string{"-i", "c", "--role-arn", "arn:aws:iam::111122223333:user/a"}, want: "not a role"},
		{name: "plain http STS endpoint", args: []string{"-i", "c", "--sts-endpoint", "http://sts.example.com"}, want: "loopback"},
		{name: "unknown ExecCredential version", args: []string{"-i", "c"}, execInfo: `{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, want: "v1alpha1"},
		{name: "unknown audience", args: []string{"-i", "c", "--audience", "API"}, want: "--audience"},
		{name: "KUBERNETES_EXEC_INFO not JSON", args: []string{"-i", "c"}, execInfo: "{", want: "KUBERNETES_EXEC_INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTokenHarness(t)
			h.env["KUBERNETES_EXEC_INFO"] = tt.execInfo
			r := h.run(tt.args...)
			if exitCode(r.err) != 2 || !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("error = %v (exit %d), want exit 2 mentioning %q", r.err, exitCode(r.err), tt.want)
			}
			if r.stdout != "" || h.loadCalls.Load() != 0 {
				t.Errorf("stdout %q, AWS config loads %d, want neither", r.stdout, h.loadCalls.Load())
			}
		})
	}
	h := newTokenHarness(t)
	if r := h.run(); exitCode(r.err) != 2 || !strings.Contains(r.err.Error(), "--cluster-name is required (or set KUBEIAM_CLUSTER)") {
		t.Errorf("without --cluster-name: %v", r.err)
	}
	// KUBEIAM_CLUSTER names the same cluster as the flag: the second call
	// is a cache hit.
	h.env["KUBEIAM_CLUSTER"] = "from-env"
	byEnv := h.run("--token-only")
	byFlag := h.run("--token-only", "--cluster-name", "from-env")
	if byEnv.err != nil || byFlag.err != nil || byEnv.stdout != byFlag.stdout || h.loadCalls.Load() != 1 {
		t.Errorf("KUBEIAM_CLUSTER: %v, %v; same token %v, loads %d", byEnv.err, byFlag.err, byEnv.stdout == byFlag.stdout, h.loadCalls.Load())
	}
}

func TestTokenExplainsMissingCredentials(t *testing.T) {
	h := newTokenHarness(t)
	delete(h.env, "AWS_ACCESS_KEY_ID")
	delete(h.env, "AWS_SECRET_ACCESS_KEY")
	r := h.run("-i", "prod", "--no-cache")
	if r.err == nil {
		t.Fatal("token succeeded without credentials")
	}
	msg := r.err.Error()
	for _, want := range []string{`profile "default"`, filepath.Join(h.env["HOME"], ".aws", "config"), "aws configure", "AWS_PROFILE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") || r.stdout != "" {
		t.Errorf("want a one-line error and no output; stdout %q", r.stdout)
	}

	r = h.run("-i", "prod", "--no-cache", "--profile", "missing")
	if r.err == nil || !strings.Contains(r.err.Error(), `aws configure --profile missing`) {
		t.Errorf("unknown profile: %v", r.err)
	}
}

func TestTokenAssumesRoleThroughTheSTSEndpointButNamesAWS(t *testing.T) {
	h := newTokenHarness(t)
	sts := ststest.Start(t)
	const role = "arn:aws:iam::111122223333:role/k8s-admin"
	r := h.run("-i", "prod", "--region", "us-west-2", "--role-arn", role, "--session-name", "alice",
		"--external-id", "ext-123", "--sts-endpoint", sts.URL, "--no-cache")
	if r.err != nil {
		t.Fatalf("token: %v\nstderr: %s", r.err, r.stderr)
	}
	reqs := sts.Requests()
	if len(reqs) != 1 || reqs[0].Get("RoleArn") != role || reqs[0].Get("RoleSessionName") != "alice" || reqs[0].Get("ExternalId") != "ext-123" {
		t.Fatalf("AssumeRole requests = %v", reqs)
	}
	req := validateToken(t, parseExecCredential(t, r.stdout).Status.Token, "us-west-2")
	if req.Endpoint.Host != "sts.us-west-2.amazonaws.com" {
		t.Errorf("token host = %q, want the real STS host", req.Endpoint.Host)
	}
	if req.AccessKeyID != ststest.AccessKeyID || req.URL.Query().Get("X-Amz-Security-Token") != ststest.SessionToken {
		t.Errorf("token signed by %q, want the assumed role's key", req.AccessKeyID)
	}
	if u, _ := url.Parse(sts.URL); strings.Contains(r.stdout, u.Host) {
		t.Error("output mentions the STS endpoint override")
	}
}

func TestTokenHelpShowsAKubeconfig(t *testing.T) {
	h := newTokenHarness(t)
	r := h.run("--help")
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, want := range []string{"users:", "exec:", "command: kubeiam-token", `args: ["--cluster-name", "my-cluster"]`, "--role-arn", "KUBERNETES_EXEC_INFO"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help does not mention %q", want)
		}
	}
}

// BenchmarkTokenCacheHit is a kubectl invocation with a warm cache: flags,
// environment, a few stat calls, the locked read and the JSON output.
func BenchmarkTokenCacheHit(b *testing.B) {
	h := newTokenHarness(b)
	if r := h.run("-i", "prod", "--region", "us-west-2"); r.err != nil {
		b.Fatal(r.err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if r := h.run("-i", "prod", "--region", "us-west-2"); r.err != nil {
			b.Fatal(r.err)
		}
	}
	if h.loadCalls.Load() != 1 {
		b.Fatalf("AWS configuration loaded %d times, want once", h.loadCalls.Load())
	}
}

// BenchmarkTokenCold generates every time: AWS configuration through the
// SDK's default chain (environment keys here, so no network) and SigV4.
func BenchmarkTokenCold(b *testing.B) {
	h := newTokenHarness(b)
	b.ReportAllocs()
	for b.Loop() {
		if r := h.run("-i", "prod", "--region", "us-west-2", "--no-cache"); r.err != nil {
			b.Fatal(r.err)
		}
	}
}

// TestTokenAudienceAPI: --audience api mints a token the API's validator
// accepts and the cluster's refuses, and the cache never hands out one
// audience's token for the other (issue 10, item 3).
func TestTokenAudienceAPI(t *testing.T) {
	h := newTokenHarness(t)
	cluster := h.run("-i", "prod", "--token-only")
	api := h.run("-i", "prod", "--token-only", "--audience", "api")
	if cluster.err != nil || api.err != nil {
		t.Fatalf("token: %v, %v", cluster.err, api.err)
	}
	if cluster.stdout == api.stdout || h.loadCalls.Load() != 2 {
		t.Fatalf("the API token came from the cluster token's cache entry (loads %d)", h.loadCalls.Load())
	}
	p, _ := partition.New().Lookup("aws")
	v := token.Validator{Partition: p, Now: func() time.Time { return tokenNow.Add(time.Minute) }, Audience: token.AudienceAPI}
	if r, err := v.Validate(strings.TrimSpace(api.stdout)); err != nil || r.Audience != token.AudienceAPI {
		t.Errorf("API token: %v, audience %v", err, r.Audience)
	}
	if _, err := v.Validate(strings.TrimSpace(cluster.stdout)); !errors.Is(err, token.ErrClusterToken) {
		t.Errorf("cluster token at the API's validator: %v, want ErrClusterToken", err)
	}
	if req := validateToken(t, strings.TrimSpace(cluster.stdout), "us-east-1"); req.Audience != token.AudienceCluster {
		t.Errorf("default audience %v", req.Audience)
	}
}

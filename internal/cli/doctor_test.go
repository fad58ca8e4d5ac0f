package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// runDiagCmd runs a command as Main would and returns stdout, stderr and the
// exit code.
func runDiagCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	code := execute(context.Background(), cmd, &errOut, args)
	return out.String(), errOut.String(), code
}

// diagEnv is the real chain on loopback: a local STS, the STS verifier,
// authn.Service over a CONFIG_MAP snapshot whose creator is the dev
// creator, and the diagnosis handler; plus AWS profiles for the dev users.
type diagEnv struct {
	dir    string
	sts    *authntest.STS
	clock  *authntest.Clock
	server string
	env    map[string]string
	out    *bytes.Buffer
	log    *decisionlog.Log
}

type diagSnapshot struct{ s *resolve.Snapshot }

func (s diagSnapshot) Snapshot() *resolve.Snapshot { return s.s }

// bearerManagers authenticates manager calls by their bearer token, as the
// access-management API's bearer authenticator does.
type bearerManagers struct{ svc *authn.Service }

func (m bearerManagers) Authenticate(r *http.Request) (identity.Identity, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return identity.Identity{}, errors.New("no bearer token")
	}
	out := m.svc.Authenticate(r.Context(), authn.Request{Token: tok})
	if !out.Authenticated {
		return identity.Identity{}, errors.New(out.PublicError)
	}
	return *out.Identity, nil
}

func newDiagEnv(t *testing.T, mode string, awsAuth map[string]string) *diagEnv {
	t.Helper()
	// The AWS SDK signs GetCallerIdentity with the real clock, so the
	// local STS's clock starts at the real time.
	clock := authntest.NewClock()
	clock.Advance(time.Since(authntest.Start))
	s := authntest.StartSTS(t, clock)
	snap := authntest.Snapshot(t, mode, awsAuth)
	log := decisionlog.New(100)
	svc, err := authn.New(authn.Config{Verifier: s.Verifier(t, authntest.ClusterID),
		Mapper: authntest.NewMapper(snap, resolve.Options{}), Log: log, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := diag.New(diag.Config{Tokens: svc, Snapshots: diagSnapshot{snap}, CreatorHint: true,
		Managers: bearerManagers{svc}, IsManager: func(id identity.Identity) bool { return id.CanonicalARN == authntest.CreatorARN },
		Decisions: log, ClusterName: authntest.ClusterID, Now: clock.Now})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &diagEnv{dir: t.TempDir(), sts: s, clock: clock, server: srv.URL, out: &bytes.Buffer{}, log: log}
	var creds strings.Builder
	for _, u := range []string{localsts.DevCreatorUser, localsts.DevDeveloperUser} {
		c := s.UserCredentials(t, u)
		fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", u, c.AccessKeyID, c.SecretAccessKey)
	}
	writeDiagFile(t, filepath.Join(e.dir, "credentials"), creds.String())
	writeDiagFile(t, filepath.Join(e.dir, "config"), "[profile creator]\nregion = us-east-1\n[profile developer]\nregion = us-east-1\n")
	e.env = map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(e.dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(e.dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "HOME": e.dir, "KUBECONFIG": filepath.Join(e.dir, "kubeconfig"),
	}
	return e
}

func writeDiagFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (e *diagEnv) io(now func() time.Time) IO {
	return IO{In: strings.NewReader(""), Out: e.out, Err: &bytes.Buffer{}, Now: now,
		Getenv: func(k string) string { return e.env[k] }}
}

func (e *diagEnv) deps(now func() time.Time) diagDeps {
	return diagDeps{io: e.io(now), loadConfig: tokengen.LoadCredentials, callerIdentity: stsCallerIdentity, httpClient: caClient}
}

// kubeconfig writes a kubeconfig whose user runs command with args.
func (e *diagEnv) kubeconfig(t *testing.T, command string, args ...string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: dev
  context: {cluster: dev, user: dev}
users:
- name: dev
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: %s
      interactiveMode: Never
      env:
      - {name: AWS_REGION, value: us-east-1}
      args:
`, command)
	for _, a := range args {
		fmt.Fprintf(&b, "      - %q\n", a)
	}
	writeDiagFile(t, e.env["KUBECONFIG"], b.String())
}

func diagLookPath(name string) (string, error) {
	if name == "kubeiam" {
		return "/usr/local/bin/kubeiam", nil
	}
	return "", errors.New("executable file not found in $PATH")
}

func TestDoctorBreaksEachLink(t *testing.T) {
	expired := func(d *doctorDeps) {
		load := d.loadConfig
		d.loadConfig = func(ctx context.Context, o tokengen.CredentialOptions) (aws.Config, error) {
			cfg, err := load(ctx, o)
			c, _ := cfg.Credentials.Retrieve(ctx)
			c.CanExpire, c.Expires = true, d.io.Now().Add(-time.Hour)
			cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
			return cfg, err
		}
	}
	tests := []struct {
		name    string
		command string
		args    []string
		skew    time.Duration
		change  func(*doctorDeps)
		// fails is the step that fails ("" for none); want must be in the output.
		fails string
		want  []string
	}{
		{name: "every link holds for the creator", command: "kubeiam",
			args: []string{"token", "-i", authntest.ClusterID, "--profile", "creator"},
			want: []string{"PASS  server       authenticated as \"kubernetes-admin\"", "you are " + authntest.CreatorARN}},
		{name: "the plugin is not on PATH", command: "kubeiam-nope",
			args:  []string{"token", "-i", authntest.ClusterID, "--profile", "creator"},
			fails: "exec plugin", want: []string{`command "kubeiam-nope" of user "dev" is not found on PATH`, "--exec-command="}},
		{name: "the plugin mints tokens for another cluster", command: "kubeiam",
			args:  []string{"token", "--cluster-id=prod", "--profile", "creator"},
			fails: "exec plugin", want: []string{"WRONG_CLUSTER_ID", `cluster ID "prod", but the cluster's ID is "kubeiam-test"`,
				"kubectl config set-credentials dev --exec-arg=token --exec-arg=--cluster-id=kubeiam-test --exec-arg=--profile --exec-arg=creator"}},
		{name: "the plugin's profile does not exist", command: "kubeiam",
			args:  []string{"token", "-i", authntest.ClusterID, "--profile", "nosuch"},
			fails: "credentials", want: []string{`"nosuch"`, "aws configure --profile nosuch", "aws configure sso --profile nosuch"}},
		{name: "the credentials expired", command: "kubeiam",
			args:   []string{"token", "-i", authntest.ClusterID, "--profile", "developer"},
			change: expired, fails: "credentials", want: []string{"CREDENTIALS_EXPIRED", "expired at", "aws configure --profile developer"}},
		{name: "this machine's clock is 10 minutes ahead", command: "kubeiam",
			args: []string{"token", "-i", authntest.ClusterID, "--profile", "creator"},
			skew: 10 * time.Minute, fails: "clock", want: []string{"clock is 10m", "timedatectl"}},
		{name: "the identity is not mapped", command: "kubeiam",
			args:  []string{"token", "-i", authntest.ClusterID, "--profile", "developer"},
			fails: "server", want: []string{"Unauthorized (ARN_NOT_MAPPED)",
				"you are " + authntest.DeveloperARN + ", the cluster creator is " + authntest.CreatorARN,
				"kubeiam explain --arn " + authntest.DeveloperARN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newDiagEnv(t, "CONFIG_MAP", nil)
			e.kubeconfig(t, tt.command, tt.args...)
			now := func() time.Time { return time.Now().Add(tt.skew) }
			d := doctorDeps{diagDeps: e.deps(now), lookPath: diagLookPath}
			if tt.change != nil {
				tt.change(&d)
			}
			_, errOut, code := runDiagCmd(t, newDoctorCommandWithDeps(d),
				"--cluster-id", authntest.ClusterID, "--sts-endpoint", e.sts.URL, "--server", e.server)
			out := e.out.String()
			if (code == 0) != (tt.fails == "") {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if tt.fails != "" && !strings.Contains(out, fmt.Sprintf("FAIL  %-12s", tt.fails)) {
				t.Errorf("no FAIL at %s:\n%s", tt.fails, out)
			}
			if tt.fails != "" && !strings.Contains(out, "fix:") {
				t.Errorf("no fix:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			// The chain stops at the first broken link.
			if lines := strings.Count(out, "FAIL"); lines > 1 {
				t.Errorf("%d failures reported, want the first only:\n%s", lines, out)
			}
		})
	}
}

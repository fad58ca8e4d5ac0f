package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// devServer is a running "kubeiam server --dev" on random loopback ports.
type devServer struct {
	dir       string
	clusterID string
	env       map[string]string
	client    *http.Client
	out       *testutil.SyncBuffer
	log       *testutil.SyncBuffer
	stop      func() error
}

func startDev(t *testing.T, with ...func(*DevOptions)) *devServer {
	t.Helper()
	d := &devServer{dir: t.TempDir(), out: &testutil.SyncBuffer{}, log: &testutil.SyncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	o := DevOptions{Dir: d.dir, Listen: "127.0.0.1:0", AWSListen: "127.0.0.1:0", Out: d.out,
		Logger: slog.New(slog.NewTextHandler(d.log, nil))}
	for _, f := range with {
		f(&o)
	}
	d.dir = o.Dir
	d.clusterID = orDefault(o.ClusterID, DevClusterID)
	go func() { done <- RunDev(ctx, o) }()
	var once sync.Once
	var stopErr error
	d.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(30 * time.Second):
				stopErr = context.DeadlineExceeded
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = d.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(d.out.String(), "Stop with Ctrl-C.") {
		select {
		case err := <-done:
			t.Fatalf("RunDev returned early: %v\nlog:\n%s", err, d.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev server not ready after 30s; log:\n%s", d.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.env = readEnv(t, filepath.Join(d.dir, "dev.env"))
	ca, err := os.ReadFile(d.env["KUBEIAM_CA"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("dev CA does not parse")
	}
	cert, err := tls.LoadX509KeyPair(d.env["KUBEIAM_CLIENT_CERT"], d.env["KUBEIAM_CLIENT_KEY"])
	if err != nil {
		t.Fatalf("dev.env's webhook client certificate: %v", err)
	}
	d.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
	return d
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && !strings.HasPrefix(line, "#") {
			env[k] = strings.Trim(v, "'")
		}
	}
	return env
}

func (d *devServer) review(t *testing.T, tok string) authnv1.TokenReview {
	t.Helper()
	body := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`
	resp, err := d.client.Post(d.env["KUBEIAM_WEBHOOK"]+"/authenticate", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("TokenReview: HTTP %d: %s", resp.StatusCode, b)
	}
	var tr authnv1.TokenReview
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

func (d *devServer) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := d.client.Get(d.env["KUBEIAM_WEBHOOK"] + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The guided tour's claims hold: the developer is not mapped, the creator
// is an administrator without a mapping, and the files it names exist.
func TestDevModeTour(t *testing.T) {
	d := startDev(t)
	for _, f := range []string{"dev.env", "aws/credentials", "aws/config", "sts.yaml", "aws-auth.yaml",
		"state/authn-webhook.kubeconfig", "state/authz-webhook.kubeconfig", "state/tls/ca.crt"} {
		if _, err := os.Stat(filepath.Join(d.dir, f)); err != nil {
			t.Errorf("dev mode did not write %s: %v", f, err)
		}
	}
	for _, want := range []string{"AWS_PROFILE=developer aws sts get-caller-identity", "token -i $KUBEIAM_CLUSTER --token-only", "access-entry create --principal-arn"} {
		if !strings.Contains(d.out.String(), want) {
			t.Errorf("tour does not show %q:\n%s", want, d.out.String())
		}
	}

	tr := d.review(t, d.token(t, localsts.DevDeveloperUser))
	if tr.Status.Authenticated || tr.Status.Error != "ARN is not mapped" {
		t.Errorf("developer: %+v, want a denial saying the ARN is not mapped", tr.Status)
	}
	if !strings.Contains(d.log.String(), `msg="access denied"`) {
		t.Errorf("no access denied logged:\n%s", d.log.String())
	}
	tr = d.review(t, d.token(t, localsts.DevCreatorUser))
	if !tr.Status.Authenticated || tr.Status.User.Username != "kubernetes-admin" || strings.Join(tr.Status.User.Groups, ",") != "system:masters" {
		t.Errorf("creator: %+v, want kubernetes-admin in system:masters", tr.Status)
	}
	if code, body := d.get(t, "/metrics"); code != 200 || !strings.Contains(body, `kubeiam_webhook_requests_total{endpoint="authenticate",result="granted"} 1`) {
		t.Errorf("/metrics: %d, missing the granted request counter:\n%.2000s", code, body)
	}
}

// The AWS CLI v2 works against the dev server: STS through the local STS,
// and the EKS access-entry calls through the access-management API.
func TestDevModeAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("drives the AWS CLI")
	}
	testutil.RequireProgram(t, "the AWS CLI v2", "/usr/bin/aws", `run "make tools"`)
	d := startDev(t)
	home := t.TempDir()
	// The Debian AWS CLI predates access entries; give it the EKS model
	// that has them, where "aws configure add-model" would put it.
	model, err := os.ReadFile(filepath.Join("..", "api", "testdata", "awscli-models", "eks", "2017-11-01", "service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	modelDir := filepath.Join(home, ".aws", "models", "eks", "2017-11-01")
	if err := os.MkdirAll(modelDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(modelDir, "service-2.json"), model, 0o600); err != nil {
		t.Fatal(err)
	}
	aws := func(profile string, args ...string) (string, error) {
		cmd := exec.Command("/usr/bin/aws", append(args, "--endpoint-url", d.env["KUBEIAM_AWS_ENDPOINT"], "--output", "text")...)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_PROFILE=" + profile,
			"AWS_CONFIG_FILE=" + d.env["AWS_CONFIG_FILE"], "AWS_SHARED_CREDENTIALS_FILE=" + d.env["AWS_SHARED_CREDENTIALS_FILE"],
			"AWS_REGION=" + d.env["AWS_REGION"], "AWS_EC2_METADATA_DISABLED=true"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	dev := "arn:aws:iam::111122223333:user/developer"
	if out, err := aws("developer", "sts", "get-caller-identity", "--query", "Arn"); err != nil || out != dev+"\n" {
		t.Errorf("aws sts get-caller-identity = %q, %v; want %q", out, err, dev)
	}
	steps := []struct {
		profile string
		args    []string
		want    string
	}{
		{"creator", []string{"eks", "describe-cluster", "--name", DevClusterID, "--query", "cluster.accessConfig.authenticationMode"}, "CONFIG_MAP\n"},
		{"creator", []string{"eks", "update-cluster-config", "--name", DevClusterID, "--access-config", "authenticationMode=API_AND_CONFIG_MAP", "--query", "update.status"}, "InProgress\n"},
		// The server's own mux: /clusters is served, not redirected.
		{"creator", []string{"eks", "list-clusters", "--query", "clusters[0]"}, DevClusterID + "\n"},
		{"creator", []string{"eks", "list-updates", "--name", DevClusterID, "--query", "length(updateIds)"}, "1\n"},
		{"creator", []string{"eks", "tag-resource", "--resource-arn", "arn:aws:eks:" + DevRegion + ":111122223333:cluster/" + DevClusterID, "--tags", "team=dev"}, ""},
		{"creator", []string{"eks", "list-tags-for-resource", "--resource-arn", "arn:aws:eks:" + DevRegion + ":111122223333:cluster/" + DevClusterID, "--query", "tags.team"}, "dev\n"},
		{"creator", []string{"eks", "create-access-entry", "--cluster-name", DevClusterID, "--principal-arn", dev, "--query", "accessEntry.username"}, dev + "\n"},
		{"creator", []string{"eks", "associate-access-policy", "--cluster-name", DevClusterID, "--principal-arn", dev,
			"--policy-arn", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "--access-scope", "type=cluster", "--query", "associatedAccessPolicy.policyArn"},
			"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\n"},
	}
	for _, st := range steps {
		if out, err := aws(st.profile, st.args...); err != nil || out != st.want {
			t.Fatalf("aws %s: %q, %v; want %q", strings.Join(st.args, " "), out, err, st.want)
		}
	}
	// The developer, now with an entry, is authenticated by the webhook.
	tr := d.review(t, d.token(t, localsts.DevDeveloperUser))
	if !tr.Status.Authenticated || tr.Status.User.Username != dev {
		t.Errorf("developer after aws eks create-access-entry: %+v", tr.Status)
	}
	// And is no manager.
	if out, err := aws("developer", "eks", "list-access-entries", "--cluster-name", DevClusterID); err == nil || !strings.Contains(out, "AccessDeniedException") {
		t.Errorf("developer listing access entries: %q, %v; want AccessDeniedException", out, err)
	}
}

// A second dev server on the same directory refuses to start and says why.
func TestDevModeSecondInstanceRefused(t *testing.T) {
	d := startDev(t)
	err := RunDev(context.Background(), DevOptions{Dir: d.dir, Listen: "127.0.0.1:0", AWSListen: "127.0.0.1:0", Out: io.Discard,
		Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "in use by another kubeiam server") {
		t.Fatalf("second RunDev = %v, want an error saying the directory is in use", err)
	}
	if err := d.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// A broken aws-auth file is rejected: /readyz stays 200 but says
// "degraded" and why, and the last good mapping stays in force.
func TestBrokenAWSAuthFileDegradesReadyz(t *testing.T) {
	d := startDev(t)
	if code, body := d.get(t, "/readyz"); code != 200 || !strings.Contains(body, `"status": "ok"`) {
		t.Fatalf("/readyz before: %d %s", code, body)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "aws-auth.yaml"), []byte("mapRoles: |\n  - rolearn: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := d.get(t, "/readyz")
		if code == 200 && strings.Contains(body, `"status": "degraded"`) && strings.Contains(body, "stays in force; latest input rejected") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never reported the rejected file: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := d.get(t, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
}

// An aws-auth file that was never valid is reported as such by /readyz:
// the mapping is empty, with no zero time ("since 0001-01-01T00:00:00Z")
// for a good version that never was.
func TestReadyzNeverGoodAWSAuthHasNoZeroTime(t *testing.T) {
	d := startDev(t)
	dir := d.dir
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "aws-auth.yaml"), []byte("mapRoles: |\n  - rolearn: [unclosed\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	again := startDev(t, func(o *DevOptions) { o.Dir = dir })
	code, body := again.get(t, "/readyz")
	if code != 200 || !strings.Contains(body, "no good version yet, so the aws-auth mapping is empty; latest input rejected: ") {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if strings.Contains(body, "0001-01-01") || strings.Contains(body, "(none)") {
		t.Errorf("/readyz shows a zero value: %s", body)
	}
}

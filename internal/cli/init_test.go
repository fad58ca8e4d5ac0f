package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/server"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// stateFiles are the files init writes that kube-apiserver's flags point
// at, directly or through the kubeconfigs, and the binding key that
// replicas sharing the directory must share.
var stateFiles = []string{"authn-webhook.kubeconfig", "authz-webhook.kubeconfig", "tls/ca.crt", "tls/tls.crt", "tls/tls.key",
	"tls/client-ca.crt", "tls/kube-apiserver-client.crt", "tls/kube-apiserver-client.key", "binding.key"}

func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, f := range stateFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// freeLoopbackPort returns a port that was free a moment ago.
func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// "kubeiam init", then "kubeiam server" on the same state directory: the
// server uses exactly the files init wrote (so kube-apiserver can be
// configured before kubeiam first starts), and a client built from the
// authentication kubeconfig alone authenticates a token.
func TestInitThenServer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	port := freeLoopbackPort(t)
	url := "https://localhost:" + port
	code, out, stderr := runCLI(t, "init", "--cluster-name", authntest.ClusterID, "--state-dir", dir,
		"--server-url", url, "--hosts", "kubeiam.example,10.9.8.7")
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"--authentication-token-webhook-config-file=" + filepath.Join(dir, "authn-webhook.kubeconfig"),
		"--authorization-webhook-config-file=" + filepath.Join(dir, "authz-webhook.kubeconfig"),
		"kubeiam server --cluster-name " + authntest.ClusterID + " --state-dir " + dir + " --cluster-creator-arn ARN"} {
		if !strings.Contains(out, want) {
			t.Errorf("init output lacks %q:\n%s", want, out)
		}
	}
	written := readFiles(t, dir)
	if code, _, stderr := runCLI(t, "init", "--cluster-name", authntest.ClusterID, "--state-dir", dir, "--server-url", url,
		"--hosts", "kubeiam.example,10.9.8.7"); code != 0 {
		t.Fatalf("second init: exit %d: %s", code, stderr)
	}
	for f, b := range readFiles(t, dir) {
		if !bytes.Equal(b, written[f]) && !strings.HasSuffix(f, ".kubeconfig") {
			t.Errorf("second init replaced valid %s", f)
		}
	}

	clock := testutil.NewClock(time.Now())
	sts := authntest.StartSTS(t, clock)
	cfg := config.Server{ClusterID: authntest.ClusterID, Listen: "127.0.0.1:" + port, StateDir: dir,
		STSEndpoint: sts.URL, ClusterCreatorARN: authntest.CreatorARN}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan *server.Server, 1), make(chan error, 1)
	log := &testutil.SyncBuffer{}
	go func() {
		done <- server.Run(ctx, server.Options{Config: cfg, Now: clock.Now, Logger: slog.New(slog.NewTextHandler(log, nil)),
			OnReady: func(s *server.Server) { ready <- s }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server: %v\n%s", err, log.String())
	}
	for f, b := range readFiles(t, dir) {
		if !bytes.Equal(b, written[f]) {
			t.Errorf("the server changed %s that init wrote", f)
		}
	}

	rc, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "authn-webhook.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Host != url+"/authenticate" {
		t.Errorf("kubeconfig server %q, want %q", rc.Host, url+"/authenticate")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rc.CAData)
	cert, err := tls.X509KeyPair(rc.CertData, rc.KeyData)
	if err != nil {
		t.Fatalf("kubeconfig client certificate: %v", err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
	tok := sts.Token(t, sts.UserCredentials(t, localsts.DevCreatorUser), authntest.ClusterID)
	body := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`
	resp, err := client.Post(rc.Host, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var tr authnv1.TokenReview
	if err := json.Unmarshal(raw, &tr); err != nil || !tr.Status.Authenticated || tr.Status.User.Username != "kubernetes-admin" {
		t.Errorf("TokenReview through the init kubeconfig: HTTP %d %s", resp.StatusCode, raw)
	}
}

func TestInitRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no cluster name", []string{"init", "--state-dir", dir}, "--cluster-name is required"},
		{"plain http", []string{"init", "--cluster-name", "c", "--state-dir", dir, "--server-url", "http://127.0.0.1:21362"}, "want https://HOST[:PORT]"},
		{"url with a path", []string{"init", "--cluster-name", "c", "--state-dir", dir, "--server-url", "https://h/authenticate"}, "without a path"},
		{"bad host", []string{"init", "--cluster-name", "c", "--state-dir", dir, "--hosts", "a b"}, "invalid host"},
		{"argument", []string{"init", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != 2 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, "goroutine") {
				t.Errorf("exit %d, stderr %q; want exit 2 containing %q", code, stderr, tt.want)
			}
		})
	}
}

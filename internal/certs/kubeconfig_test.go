package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// startWebhook serves b on a loopback listener at addr ("127.0.0.1:0"),
// answering every request with its path.
func startWebhook(t *testing.T, b Bundle, addr string) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	// The client's refusals are the point of some tests, not server noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	_ = srv.Listener.Close()
	srv.Listener = ln
	if srv.TLS, err = b.TLSConfig(); err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// callThroughKubeconfig loads path the way kube-apiserver does (clientcmd,
// current context) and POSTs to the server it names.
func callThroughKubeconfig(t *testing.T, path string) (string, error) {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatalf("HTTP client from kubeconfig: %v", err)
	}
	client.Timeout = 30 * time.Second
	resp, err := client.Post(cfg.Host, "application/json", strings.NewReader("{}"))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestWebhookKubeconfigReachesServer(t *testing.T) {
	tests := []struct {
		name   string
		listen string
		host   func(srvURL string) string // rewrites the URL the kubeconfig names
	}{
		{name: "IPv4 loopback", listen: "127.0.0.1:0"},
		{name: "IPv6 loopback", listen: "[::1]:0"},
		{name: "localhost name", listen: "127.0.0.1:0", host: func(u string) string {
			return strings.Replace(u, "127.0.0.1", "localhost", 1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := EnsureServing(filepath.Join(dir, "pki"), testHosts, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			srv := startWebhook(t, b, tc.listen)
			url := srv.URL + "/authenticate"
			if tc.host != nil {
				url = tc.host(srv.URL) + "/authenticate"
			}
			path := filepath.Join(dir, "authn-webhook.kubeconfig")
			if err := WriteWebhookKubeconfig(path, url, b.CAPEM); err != nil {
				t.Fatal(err)
			}
			got, err := callThroughKubeconfig(t, path)
			if err != nil {
				t.Fatalf("call webhook: %v", err)
			}
			if got != "/authenticate" {
				t.Errorf("server saw path %q, want /authenticate", got)
			}
		})
	}
}

func TestWebhookKubeconfigRejectsWrongServer(t *testing.T) {
	tests := []struct {
		name      string
		hosts     []string // hosts the serving certificate covers
		foreignCA bool     // the kubeconfig embeds another CA
		wantErr   func(error) bool
	}{
		{name: "certificate does not cover the IP", hosts: []string{"localhost"},
			wantErr: func(err error) bool { return errors.As(err, new(x509.HostnameError)) }},
		{name: "kubeconfig trusts another CA", hosts: testHosts, foreignCA: true,
			wantErr: func(err error) bool { return errors.As(err, new(x509.UnknownAuthorityError)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := EnsureServing(filepath.Join(dir, "pki"), tc.hosts, time.Now)
			if err != nil {
				t.Fatal(err)
			}
			caPEM := b.CAPEM
			if tc.foreignCA {
				other, err := EnsureServing(filepath.Join(dir, "other"), testHosts, time.Now)
				if err != nil {
					t.Fatal(err)
				}
				caPEM = other.CAPEM
			}
			srv := startWebhook(t, b, "127.0.0.1:0")
			path := filepath.Join(dir, "webhook.kubeconfig")
			if err := WriteWebhookKubeconfig(path, srv.URL+"/authorize", caPEM); err != nil {
				t.Fatal(err)
			}
			_, err = callThroughKubeconfig(t, path)
			if !tc.wantErr(err) {
				t.Errorf("err = %v, want the %s", err, tc.name)
			}
		})
	}
}

func TestWriteWebhookKubeconfigContent(t *testing.T) {
	b := mustEnsure(t, t.TempDir(), testHosts, testNow)
	path := filepath.Join(t.TempDir(), "sub", "authz.kubeconfig")
	const url = "https://127.0.0.1:21362/authorize"
	if err := WriteWebhookKubeconfig(path, url, b.CAPEM); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		t.Fatalf("current context %q missing", cfg.CurrentContext)
	}
	cluster, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cluster == nil || user == nil {
		t.Fatalf("context %+v names a missing cluster or user", ctx)
	}
	if cluster.Server != url {
		t.Errorf("server = %q, want %q", cluster.Server, url)
	}
	if !bytes.Equal(cluster.CertificateAuthorityData, b.CAPEM) || cluster.CertificateAuthority != "" {
		t.Error("CA is not inlined as certificate-authority-data")
	}
	if user.Token != "" || user.ClientCertificateData != nil || user.Username != "" || user.Exec != nil {
		t.Errorf("user has credentials: %+v", user)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "certificate-authority-data: ") {
		t.Errorf("file does not inline the CA:\n%s", raw)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != configMode {
		t.Errorf("mode = %v, want %v", fi.Mode().Perm(), configMode)
	}
}

func TestWriteWebhookKubeconfigReplacesLooseFile(t *testing.T) {
	b := mustEnsure(t, t.TempDir(), testHosts, testNow)
	path := filepath.Join(t.TempDir(), "webhook.kubeconfig")
	writeFile(t, path, "old")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteWebhookKubeconfig(path, "https://localhost:1/authenticate", b.CAPEM); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != configMode {
		t.Errorf("mode = %v, want %v", fi.Mode().Perm(), configMode)
	}
}

func TestWriteWebhookKubeconfigInvalid(t *testing.T) {
	b := mustEnsure(t, t.TempDir(), testHosts, testNow)
	tests := []struct {
		name  string
		url   string
		caPEM []byte
	}{
		{name: "plain http", url: "http://127.0.0.1:1/authenticate", caPEM: b.CAPEM},
		{name: "no host", url: "https:///authenticate", caPEM: b.CAPEM},
		{name: "not a URL", url: "://", caPEM: b.CAPEM},
		{name: "no CA", url: "https://127.0.0.1:1/authenticate"},
		{name: "CA is not PEM", url: "https://127.0.0.1:1/authenticate", caPEM: []byte("nope")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k")
			if err := WriteWebhookKubeconfig(path, tc.url, tc.caPEM); err == nil {
				t.Fatal("no error")
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("file written despite the error (stat: %v)", err)
			}
		})
	}
}

package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// startServer runs Run on cfg (listen and state dir filled in when empty)
// until the test ends and returns the running server.
func startServer(t *testing.T, cfg config.Server) *Server {
	t.Helper()
	return startServerWith(t, cfg, nil)
}

// startServerWith is startServer with the server's logger; nil logs text
// into a buffer shown if the server fails to start.
func startServerWith(t *testing.T, cfg config.Server, logger *slog.Logger) *Server {
	t.Helper()
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.ClusterID == "" {
		cfg.ClusterID = "mtls-test"
	}
	if cfg.ClusterCreatorARN == "" {
		cfg.ClusterCreatorARN = testCreator
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Server, 1)
	done := make(chan error, 1)
	log := &testutil.SyncBuffer{}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(log, nil))
	}
	go func() {
		done <- Run(ctx, Options{Config: cfg, Logger: logger, OnReady: func(s *Server) { ready <- s }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case s := <-ready:
		return s
	case err := <-done:
		done <- nil
		t.Fatalf("Run returned before it was ready: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server not ready after 30s\n%s", log.String())
	}
	return nil
}

// httpsClient trusts the server's CA and presents certs.
func httpsClient(t *testing.T, s *Server, certs ...tls.Certificate) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.Bundle().CAPEM) {
		t.Fatal("no CA")
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: certs, MinVersion: tls.VersionTLS12}}}
}

const testCreator = "arn:aws:iam::111122223333:user/creator"

const garbageReview = `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"k8s-aws-v1.garbage"}}`

func post(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Issue 10.5: the webhooks answer only kube-apiserver, which presents the
// client certificate of the webhook kubeconfigs; the health and metrics
// endpoints stay open to kubelet probes and Prometheus.
func TestWebhooksRequireTheClientCertificate(t *testing.T) {
	s := startServer(t, config.Server{})
	cert, err := s.WebhookClient().Certificate()
	if err != nil {
		t.Fatal(err)
	}
	anonymous, kubeAPIServer := httpsClient(t, s), httpsClient(t, s, cert)
	for _, path := range []string{"/authenticate", "/authorize"} {
		if code, body := post(t, anonymous, s.URL(path), garbageReview); code != http.StatusUnauthorized || !strings.Contains(body, "client certificate") {
			t.Errorf("%s without a client certificate: HTTP %d %q, want 401", path, code, body)
		}
	}
	code, body := post(t, kubeAPIServer, s.URL("/authenticate"), garbageReview)
	var tr authnv1.TokenReview
	if code != http.StatusOK || json.Unmarshal([]byte(body), &tr) != nil || tr.Status.Authenticated || tr.Status.Error == "" {
		t.Errorf("/authenticate with the client certificate: HTTP %d %s, want a TokenReview answer", code, body)
	}
	for _, path := range []string{"/healthz", "/readyz", "/livez", "/metrics"} {
		if code := get(t, anonymous, s.URL(path)); code != http.StatusOK {
			t.Errorf("GET %s without a client certificate: HTTP %d, want 200", path, code)
		}
		for _, method := range []string{http.MethodDelete, http.MethodPost, http.MethodPut} {
			req, err := http.NewRequest(method, s.URL(path), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := anonymous.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
				t.Errorf("%s %s: HTTP %d, Allow %q; want 405 allowing GET", method, path, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
	}

	t.Run("a certificate from another CA fails the handshake", func(t *testing.T) {
		other := startServer(t, config.Server{})
		foreign, err := other.WebhookClient().Certificate()
		if err != nil {
			t.Fatal(err)
		}
		if !refused(httpsClient(t, s, foreign), s.URL("/authenticate")) {
			t.Error("a client certificate of another kubeiam's CA was accepted")
		}
	})
	t.Run("a serving certificate is no client certificate", func(t *testing.T) {
		serving, err := tls.X509KeyPair(s.Bundle().CertPEM, s.Bundle().KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		if !refused(httpsClient(t, s, serving), s.URL("/authenticate")) {
			t.Error("the serving certificate was accepted as a client certificate")
		}
	})
}

// refused reports whether a TokenReview posted with c fails the handshake
// or is answered 401. (A Go client does not even send a certificate whose
// issuer is not among the server's acceptable CAs; a certificate it does
// send that does not verify fails the handshake.)
func refused(c *http.Client, url string) bool {
	resp, err := c.Post(url, "application/json", strings.NewReader(garbageReview))
	if err != nil {
		return true
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusUnauthorized
}

func TestRequireClientCertCanBeTurnedOff(t *testing.T) {
	off := false
	s := startServer(t, config.Server{TLS: config.TLS{RequireClientCert: &off}})
	if code, body := post(t, httpsClient(t, s), s.URL("/authenticate"), garbageReview); code != http.StatusOK {
		t.Errorf("HTTP %d %s with requireClientCert false, want 200", code, body)
	}
}

// The webhook kubeconfigs kube-apiserver reads carry the client certificate,
// and a client built from them alone is accepted.
func TestWebhookKubeconfigsCarryTheClientCertificate(t *testing.T) {
	s := startServer(t, config.Server{})
	authnKC, authzKC := s.KubeconfigPaths()
	for _, kc := range []string{authnKC, authzKC} {
		rc, err := clientcmd.BuildConfigFromFlags("", kc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rc.CertData, s.WebhookClient().CertPEM) || len(rc.KeyData) == 0 {
			t.Errorf("%s: no client certificate", filepath.Base(kc))
		}
		client := kubeconfigClient(t, kc)
		if code, body := post(t, client, rc.Host, garbageReview); code != http.StatusOK && filepath.Base(kc) == authnKubeconfig {
			t.Errorf("%s: HTTP %d %s", filepath.Base(kc), code, body)
		}
	}
}

// kubeconfigClient is an HTTP client with exactly the TLS settings of a
// webhook kubeconfig, as kube-apiserver builds it.
func kubeconfigClient(t *testing.T, path string) *http.Client {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rc.CAData) {
		t.Fatalf("%s: no CA data", path)
	}
	cert, err := tls.X509KeyPair(rc.CertData, rc.KeyData)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
}

// Issue 10.9: a corrupt binding key stops the server with a clear error
// instead of being replaced (which silently voided every binding), and a
// missing one is created.
func TestBindingKey(t *testing.T) {
	dir := t.TempDir()
	key, err := bindingKey(dir)
	if err != nil || len(key) != bindingKeyByteSize {
		t.Fatalf("first start: %v, %d bytes", err, len(key))
	}
	again, err := bindingKey(dir)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second start: %v, key changed %v", err, !bytes.Equal(again, key))
	}
	path := filepath.Join(dir, bindingKeyFile)
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("binding key mode %v, want 0600", st.Mode().Perm())
	}
	for _, corrupt := range [][]byte{nil, key[:31], append(key, '\n')} {
		if err := os.WriteFile(path, corrupt, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := bindingKey(dir)
		if err == nil || !strings.Contains(err.Error(), "is corrupt") {
			t.Errorf("%d-byte key: %v, want a corrupt-key error", len(corrupt), err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, corrupt) {
			t.Errorf("%d-byte key was replaced", len(corrupt))
		}
	}
	t.Run("the server does not start", func(t *testing.T) {
		cfg := config.Server{ClusterID: "x", Listen: "127.0.0.1:0", StateDir: dir, ClusterCreatorARN: testCreator}
		cfg.Defaults()
		err := Run(context.Background(), Options{Config: cfg})
		if err == nil || !strings.Contains(err.Error(), "binding key "+path+" is corrupt") {
			t.Errorf("Run = %v, want the corrupt-key error", err)
		}
	})
}

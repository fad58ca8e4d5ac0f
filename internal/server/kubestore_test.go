package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kubeiam/kubeiam/internal/config"
)

// TestKubernetesStoreNotSyncedIsNotReady: with "--store kubernetes" and no
// reachable API server the server still starts (kube-apiserver may need
// kubeiam's webhooks to start at all), and /readyz answers 503 saying the
// store has not synced.
func TestKubernetesStoreNotSyncedIsNotReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client, err := dynamic.NewForConfig(&rest.Config{Host: "http://" + addr, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Server{ClusterID: "prod", Listen: "127.0.0.1:0", StateDir: t.TempDir(),
		ClusterCreatorARN: "arn:aws:iam::111122223333:role/admin", Store: config.Store{Type: config.StoreKubernetes}}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, StoreClient: client, OnReady: func(s *Server) { ready <- s }})
	}()
	var s *Server
	select {
	case s = <-ready:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.Bundle().CAPEM)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(s.URL("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "kubernetes store: not synced yet") {
		t.Fatalf("/readyz = %s %s; want 503, not synced", resp.Status, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/server"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

const clusterID = "bench"

// fixture is the local STS and the identities shared by every phase.
type fixture struct {
	logger *slog.Logger
	dir    string
	sts    *httptest.Server
	cfg    *localsts.Config
}

func newFixture(logger *slog.Logger) (*fixture, error) {
	dir, err := os.MkdirTemp("", "kubeiam-bench-")
	if err != nil {
		return nil, err
	}
	cfg := localsts.DevConfig(rand.Reader)
	local, err := localsts.New(cfg, localsts.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	return &fixture{logger: logger, dir: dir, sts: httptest.NewServer(local), cfg: cfg}, nil
}

func (f *fixture) Close() {
	f.sts.Close()
	os.RemoveAll(f.dir)
}

// user returns the credentials of a seeded user.
func (f *fixture) user(name string) (akid, secret string) {
	for _, u := range f.cfg.Accounts[0].Users {
		if u.Name == name {
			return u.AccessKeys[0].AccessKeyID, u.AccessKeys[0].SecretAccessKey
		}
	}
	panic("authbench: no seeded user " + name) // the dev config always has it
}

// mint returns n distinct tokens for user: distinct signing seconds and
// regions, all within the validity window.
func (f *fixture) mint(ctx context.Context, user string, n int) ([]string, error) {
	akid, secret := f.user(user)
	creds := credentials.NewStaticCredentialsProvider(akid, secret, "")
	regions := []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}
	now := time.Now()
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		at := now.Add(-time.Duration(i/len(regions)) * time.Second)
		if now.Sub(at) > 10*time.Minute {
			return nil, fmt.Errorf("cannot mint %d distinct tokens for %s within the validity window", n, user)
		}
		tok, err := tokengen.Generate(ctx, creds, tokengen.Options{ClusterID: clusterID, Region: regions[i%len(regions)], Now: func() time.Time { return at }})
		if err != nil {
			return nil, err
		}
		out = append(out, tok.Value)
	}
	return out, nil
}

// writeAWSAuth writes an aws-auth file with n mappings, one of which maps
// the developer user.
func (f *fixture) writeAWSAuth(n int) (string, error) {
	var b strings.Builder
	b.WriteString("mapRoles: |\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "  - rolearn: arn:aws:iam::%s:role/bench-role-%d\n    username: bench-%d:{{SessionName}}\n    groups: [bench]\n", localsts.DevAccount, i, i)
	}
	if n == 1 {
		b.WriteString("  []\n")
	}
	fmt.Fprintf(&b, "mapUsers: |\n  - userarn: arn:aws:iam::%s:user/%s\n    username: developer\n    groups: [developers]\n", localsts.DevAccount, localsts.DevDeveloperUser)
	path := filepath.Join(f.dir, fmt.Sprintf("aws-auth-%d.yaml", n))
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// benchServer is one running kubeiam server.
type benchServer struct {
	f       *fixture
	n       int
	url     string
	client  *http.Client
	heapMiB float64
	cancel  context.CancelFunc
	done    chan error
}

func (f *fixture) startServer(ctx context.Context, n int) (*benchServer, error) {
	file, err := f.writeAWSAuth(n)
	if err != nil {
		return nil, err
	}
	cfg := config.Server{
		ClusterID: clusterID, Listen: "127.0.0.1:0", StateDir: filepath.Join(f.dir, fmt.Sprintf("state-%d", n)),
		STSEndpoint:       f.sts.URL,
		ClusterCreatorARN: "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevCreatorUser,
		AWSAuth:           config.AWSAuth{File: file},
	}
	// The benchmark mints tokens far faster than any one client should;
	// the per-client STS rate limit is not what it measures.
	cfg.STSRateLimit = config.RateLimit{PerSecond: 100000, Burst: 1000000}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan *server.Server, 1)
	s := &benchServer{f: f, n: n, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- server.Run(ctx, server.Options{Config: cfg, Logger: f.logger, OnReady: func(srv *server.Server) { ready <- srv }})
	}()
	select {
	case srv := <-ready:
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.Bundle().CAPEM)
		s.url = srv.URL("/authenticate")
		cert, err := srv.WebhookClient().Certificate()
		if err != nil {
			s.stop()
			return nil, err
		}
		// The webhooks require kube-apiserver's client certificate.
		s.client = newClient(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err := s.waitMapped(ctx, srv.URL("/readyz")); err != nil {
			s.stop()
			return nil, err
		}
	case err := <-s.done:
		cancel()
		return nil, err
	}
	s.heapMiB = heapInUseMiB()
	return s, nil
}

// waitMapped waits until /readyz reports every source synced and healthy:
// a rejected mapping file must fail the run, not measure an empty mapping.
func (s *benchServer) waitMapped(ctx context.Context, readyURL string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := s.client.Get(readyURL)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"status": "ok"`):
				return nil
			case strings.Contains(string(body), "rejected"):
				return fmt.Errorf("mapping file rejected: %s", body)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("server with %d mappings not ready after 2 minutes", s.n)
}

func (s *benchServer) stop() {
	s.cancel()
	<-s.done
}

func heapInUseMiB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

func newClient(tlsCfg *tls.Config) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: tlsCfg, MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute,
		},
	}
}

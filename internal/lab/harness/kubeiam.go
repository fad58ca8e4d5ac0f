package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/server"
)

// kubeiamServer is a kubeiam server running in this process.
type kubeiamServer struct {
	srv    *server.Server
	cancel context.CancelFunc
	done   chan error // Run's result
	gate   *gate
}

// startKubeiam runs server.Run with opts and returns once it listens and
// has written the webhook kubeconfigs. Its aws-auth ConfigMap client,
// built from kubeconfig, is held at a gate until waitReady: see gate.
func startKubeiam(ctx context.Context, opts server.Options, kubeconfig string) (*kubeiamServer, error) {
	g := newGate()
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeiam: aws-auth client: %w", err)
	}
	rc.Wrap(g.wrap)
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kubeiam: aws-auth client: %w", err)
	}
	if opts.Config.Store.Type == config.StoreKubernetes {
		if opts.StoreClient, err = dynamic.NewForConfig(rc); err != nil {
			return nil, fmt.Errorf("kubeiam: store client: %w", err)
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	k := &kubeiamServer{cancel: cancel, done: make(chan error, 1), gate: g}
	ready := make(chan *server.Server, 1)
	go func() {
		opts.KubeClient = client
		opts.OnReady = func(s *server.Server) { ready <- s }
		k.done <- server.Run(runCtx, opts)
	}()
	select {
	case k.srv = <-ready:
		return k, nil
	case err := <-k.done:
		cancel()
		return nil, fmt.Errorf("kubeiam server: %w", err)
	case <-ctx.Done():
		_ = k.stop()
		return nil, fmt.Errorf("kubeiam server: waiting until it listens: %w", ctx.Err())
	}
}

// waitReady opens the gate and waits until kubeiam's /readyz says every
// source has synced.
func (k *kubeiamServer) waitReady(ctx context.Context) error {
	k.gate.open()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(k.srv.Bundle().CAPEM) {
		return errors.New("kubeiam: no CA certificate in its bundle")
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	defer client.CloseIdleConnections()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.srv.URL("/readyz"), nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err != nil {
			last = err.Error()
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status + ": " + string(body)
		}
		select {
		case err := <-k.done:
			k.done <- err
			return stoppedError(err)
		case <-ctx.Done():
			return fmt.Errorf("kubeiam: waiting for /readyz: %w (last answer: %s)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop cancels Run and waits for it to return.
func (k *kubeiamServer) stop() error {
	k.cancel()
	k.gate.open()
	if err := <-k.done; err != nil {
		return fmt.Errorf("kubeiam server: %w", err)
	}
	return nil
}

// gate holds HTTP requests until it opens. It breaks a cycle at start-up:
// kube-apiserver needs the webhook kubeconfigs kubeiam writes once it
// listens, and kubeiam's aws-auth ConfigMap source needs kube-apiserver.
// kubeiam therefore starts first with the ConfigMap source's requests held
// here; the gate opens when kube-apiserver is ready, so the informer's first
// list succeeds instead of failing into client-go's backoff, which would
// delay the sync by seconds.
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

func (g *gate) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		select {
		case <-g.ch:
			return rt.RoundTrip(r)
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// logBuffer is a concurrency-safe copy of the kubeiam server's log.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stoppedError reports a server that stopped before it was ready, with its
// error when it returned one (never "<nil>").
func stoppedError(err error) error {
	if err == nil {
		return errors.New("kubeiam server stopped before it was ready, without an error")
	}
	return fmt.Errorf("kubeiam server stopped before it was ready: %w", err)
}

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func reviewBody(tok string) []byte {
	return []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`)
}

// baseline measures a trivial handler that answers a fixed TokenReview,
// over the same kind of TLS connection and client.
func (f *fixture) baseline(ctx context.Context, o options) (row, error) {
	fixed := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","status":{"authenticated":true,"user":{"username":"developer","uid":"kubeiam:111122223333:AIDA","groups":["developers"]}}}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(fixed)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	client.Transport.(*http.Transport).TLSClientConfig.MinVersion = tls.VersionTLS12
	toks, err := f.mint(ctx, "developer", 64)
	if err != nil {
		return row{}, err
	}
	return load(ctx, "baseline: fixed TokenReview", 0, client, srv.URL, toks, o.warmRequests, o.concurrency, `"authenticated":true`)
}

// warm measures tokens whose identity is cached.
func (s *benchServer) warm(ctx context.Context, o options) (row, error) {
	toks, err := s.f.mint(ctx, "developer", 64)
	if err != nil {
		return row{}, err
	}
	// One pass to verify and cache every token.
	if _, err := load(ctx, "prewarm", s.n, s.client, s.url, toks, len(toks), 1, `"authenticated":true`); err != nil {
		return row{}, err
	}
	r, err := load(ctx, fmt.Sprintf("warm tokens, %d mappings", s.n), s.n, s.client, s.url, toks, o.warmRequests, o.concurrency, `"authenticated":true`)
	r.heapMiB = s.heapMiB
	return r, err
}

// cold measures tokens never seen before: each one is verified by the
// local STS over loopback HTTP.
func (s *benchServer) cold(ctx context.Context, o options) (row, error) {
	toks, err := s.f.mint(ctx, "developer", o.coldRequests)
	if err != nil {
		return row{}, err
	}
	return load(ctx, fmt.Sprintf("cold tokens (STS), %d mappings", s.n), s.n, s.client, s.url, toks, len(toks), o.concurrency, `"authenticated":true`)
}

// load sends n requests from c workers, token i going to request i modulo
// len(toks), and checks each answer contains want.
func load(ctx context.Context, name string, mappings int, client *http.Client, url string, toks []string, n, c int, want string) (row, error) {
	bodies := make([][]byte, len(toks))
	for i, t := range toks {
		bodies[i] = reviewBody(t)
	}
	var next atomic.Int64
	var failures atomic.Int64
	var firstErr atomic.Value
	lats := make([][]time.Duration, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				err := post(client, url, bodies[i%len(bodies)], want)
				lats[w] = append(lats[w], time.Since(t0))
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failures.Load(); f > 0 {
		return row{}, fmt.Errorf("%s: %d of %d requests failed, first: %v", name, f, n, firstErr.Load())
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	return newRow(name, mappings, all, elapsed), nil
}

func post(client *http.Client, url string, body []byte, want string) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}

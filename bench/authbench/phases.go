package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func reviewBody(tok string) []byte {
	return []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`)
}

// newClient is the load generator's client for one phase: keep-alive
// HTTPS, one idle connection per worker. Certificates are not verified:
// the three servers present three different CAs, all on loopback.
func newClient(c int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // loopback benchmark
			MaxIdleConns:    c, MaxIdleConnsPerHost: c, IdleConnTimeout: time.Minute,
		},
	}
}

// load sends n requests from c workers, token i going to request i modulo
// len(toks), and checks each answer contains want.
func load(ctx context.Context, name, url string, toks []string, n, c int, want string) (row, error) {
	client := newClient(c)
	defer client.CloseIdleConnections()
	bodies := make([][]byte, len(toks))
	for i, t := range toks {
		bodies[i] = reviewBody(t)
	}
	var next, failures atomic.Int64
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
	return newRow(name, all, elapsed), nil
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

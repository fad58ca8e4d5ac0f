package sts

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// TestVerifierReusesConnectionsUnderConcurrency holds 16 concurrent calls
// at STS until all have arrived, twice: the second round must reuse the 16
// connections of the first. Go's default transport keeps only 2 idle
// connections per host, so it would open 14 new ones.
func TestVerifierReusesConnectionsUnderConcurrency(t *testing.T) {
	const n = 16
	var opened atomic.Int64
	var mu sync.Mutex
	arrived, release := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		arrived++
		if arrived == n {
			close(release)
		}
		wait := release
		mu.Unlock()
		<-wait
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(jsonAnswer))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	v := newTestVerifier(t, &fakeSTS{Server: srv}, nil)
	tok := mint(t, tokentest.Options{})
	for round := 1; round <= 2; round++ {
		mu.Lock()
		arrived, release = 0, make(chan struct{})
		mu.Unlock()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := v.Verify(context.Background(), tok); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: Verify: %v", round, err)
		}
		if got := opened.Load(); got != n {
			t.Fatalf("after round %d: %d connections opened, want %d (one per concurrent call, reused after)", round, got, n)
		}
	}
}

func TestNewTransportSizing(t *testing.T) {
	for _, tc := range []struct{ in, want int }{{0, DefaultMaxConns}, {-1, DefaultMaxConns}, {200, 200}} {
		tr := NewTransport(tc.in)
		if tr.MaxIdleConnsPerHost != tc.want || tr.MaxIdleConns != tc.want || !tr.ForceAttemptHTTP2 || tr.Proxy == nil {
			t.Errorf("NewTransport(%d): idle per host %d, idle %d, HTTP/2 %v, proxy set %v; want %d, %d, true, true",
				tc.in, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.ForceAttemptHTTP2, tr.Proxy != nil, tc.want, tc.want)
		}
	}
}

// TestVerifyValidatedRefusesOtherChecks: a token.Validated is accepted only
// from this verifier's own checks, never the zero value or one checked for
// the other audience, and none of them reaches STS.
func TestVerifyValidatedRefusesOtherChecks(t *testing.T) {
	f := newFakeSTS(t, respond(200, "application/json", jsonAnswer))
	v := newTestVerifier(t, f, nil)
	api := newTestVerifier(t, f, func(c *VerifierConfig) { c.Audience = token.AudienceAPI })
	apiVal, err := api.Check(mint(t, tokentest.Options{Audience: token.AudienceAPI}))
	if err != nil {
		t.Fatalf("api Check: %v", err)
	}
	for name, val := range map[string]token.Validated{"zero": {}, "checked for the API": apiVal} {
		if _, err := v.VerifyValidated(context.Background(), val); !errors.Is(err, errNotChecked) {
			t.Errorf("%s: error = %v, want errNotChecked", name, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("STS got %d requests, want 0", n)
	}
	val, err := v.Check(mint(t, tokentest.Options{}))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	id, err := v.VerifyValidated(context.Background(), val)
	if err != nil || id.ARN != callerARN {
		t.Fatalf("VerifyValidated = %+v, %v; want %s", id, err, callerARN)
	}
}

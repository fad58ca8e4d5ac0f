package authn

import (
	"context"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// waitFor polls cond; it fails the test only if cond never holds, which
// would be a hang, not a slowness.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// waiters returns how many callers wait on the flight for key, -1 when
// there is no flight.
func (g *flightGroup) waiters(key [32]byte) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.calls[key]; ok {
		return f.waiters
	}
	return -1
}

func TestAuthenticateConcurrentIdenticalTokensShareOneSTSCall(t *testing.T) {
	const n = 20
	e := newEnv(t, 0)
	tok := e.userToken(t, localsts.DevDeveloperUser)
	key := sha256.Sum256([]byte(tok))

	release := e.sts.Hold()
	defer release()
	outs := make([]Outcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { outs[i] = e.authenticate(tok) })
	}
	<-e.sts.Arrived()
	waitFor(t, "every caller to join the flight", func() bool { return e.svc.group.waiters(key) == n-1 })
	release()
	wg.Wait()

	if got := e.sts.Calls(); got != 1 {
		t.Errorf("STS GetCallerIdentity requests = %d for %d identical concurrent tokens, want 1", got, n)
	}
	for i, out := range outs {
		if out.Class != "granted" || out.Result.Username != "developer" {
			t.Errorf("caller %d: Class %s, username %q", i, out.Class, out.Result.Username)
		}
	}
	if got := promtestutil.ToFloat64(e.metrics.CacheLookups.WithLabelValues("shared")); got != n-1 {
		t.Errorf("shared lookups = %v, want %d", got, n-1)
	}
	if got := promtestutil.ToFloat64(e.metrics.STSCalls.WithLabelValues("ok", "us-east-1")); got != 1 {
		t.Errorf("sts_calls_total{ok,us-east-1} = %v, want 1", got)
	}
	if out := e.authenticate(tok); !out.Cached || e.sts.Calls() != 1 {
		t.Errorf("after the flight: Cached %v, STS calls %d; want a cache hit", out.Cached, e.sts.Calls())
	}
}

func TestAuthenticateCallerGivingUpDoesNotFailTheFlight(t *testing.T) {
	e := newEnv(t, 0)
	tok := e.userToken(t, localsts.DevDeveloperUser)
	key := sha256.Sum256([]byte(tok))
	release := e.sts.Hold()
	defer release()

	ctx, cancel := context.WithCancel(context.Background())
	var leader, waiter Outcome
	var wg sync.WaitGroup
	wg.Go(func() { leader = e.svc.Authenticate(ctx, Request{Token: tok}) })
	<-e.sts.Arrived()
	wg.Go(func() { waiter = e.authenticate(tok) })
	waitFor(t, "the second caller to join the flight", func() bool { return e.svc.group.waiters(key) == 1 })
	cancel()
	release()
	wg.Wait()

	if waiter.Class != "granted" {
		t.Errorf("waiter: Class %s (err %v), want granted although the leader's context was canceled", waiter.Class, waiter.Err)
	}
	if leader.Class != "granted" {
		t.Errorf("leader: Class %s (err %v), want granted: the flight outlives its caller", leader.Class, leader.Err)
	}
	if e.sts.Calls() != 1 {
		t.Errorf("STS calls = %d, want 1", e.sts.Calls())
	}
}

func TestAuthenticateDifferentTokensAreVerifiedSeparately(t *testing.T) {
	e := newEnv(t, 0)
	dev, creator := e.userToken(t, localsts.DevDeveloperUser), e.userToken(t, localsts.DevCreatorUser)
	var a, b Outcome
	var wg sync.WaitGroup
	wg.Go(func() { a = e.authenticate(dev) })
	wg.Go(func() { b = e.authenticate(creator) })
	wg.Wait()
	if a.Result.Username != "developer" || b.Result.Username != "kubernetes-admin" {
		t.Errorf("usernames %q and %q, want developer and kubernetes-admin", a.Result.Username, b.Result.Username)
	}
	if e.sts.Calls() != 2 {
		t.Errorf("STS calls = %d, want 2", e.sts.Calls())
	}
}

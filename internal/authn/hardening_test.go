package authn

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	promtestutil "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// newEnvWith is newEnv with the cache TTL and rate limit set.
func newEnvWith(t *testing.T, ttl time.Duration, rl RateLimit) *env {
	t.Helper()
	e := newEnv(t, 100)
	svc, err := New(Config{
		Verifier: e.sts.Verifier(t, authntest.ClusterID), Mapper: e.mapper, Log: e.log, Metrics: e.metrics,
		Logger: slog.New(slog.DiscardHandler), Now: e.clock.Now, CacheTTL: ttl, RateLimit: rl,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) lookups(result string) float64 {
	return promtestutil.ToFloat64(e.metrics.CacheLookups.WithLabelValues(result))
}

// Issue 10.2: a verified identity is trusted for the cache TTL (default 1m,
// half of kube-apiserver's 2m token cache), not until the token expires
// 15 minutes after signing, so that a key revoked at STS stops working.
func TestCacheTTLBoundsACachedIdentity(t *testing.T) {
	e := newEnvWith(t, 0, RateLimit{}) // the default TTL
	tok := e.userToken(t, localsts.DevDeveloperUser)
	if out := e.authenticate(tok); !out.Authenticated || out.Cached {
		t.Fatalf("first: %+v", out)
	}
	e.clock.Advance(DefaultCacheTTL - time.Second)
	if out := e.authenticate(tok); !out.Authenticated || !out.Cached {
		t.Fatalf("within the TTL: authenticated %v cached %v, want a cache hit", out.Authenticated, out.Cached)
	}
	e.clock.Advance(time.Second)
	if out := e.authenticate(tok); !out.Authenticated || out.Cached {
		t.Fatalf("at the TTL: authenticated %v cached %v, want STS asked again", out.Authenticated, out.Cached)
	}
	if n := e.sts.Calls(); n != 2 {
		t.Errorf("STS calls = %d, want 2", n)
	}
	if hit, miss := e.lookups("hit"), e.lookups("miss"); hit != 1 || miss != 2 {
		t.Errorf("identity_cache_lookups_total hit %v miss %v, want 1 and 2", hit, miss)
	}
}

func TestCacheTTLNeverOutlivesTheToken(t *testing.T) {
	e := newEnvWith(t, 15*time.Minute, RateLimit{})
	c := e.sts.UserCredentials(t, localsts.DevDeveloperUser)
	// Signed 14 minutes ago: valid for one more minute.
	tok := e.sts.TokenAt(t, c, authntest.ClusterID, e.clock.Now().Add(-14*time.Minute))
	if out := e.authenticate(tok); !out.Authenticated {
		t.Fatalf("first: %+v", out)
	}
	e.clock.Advance(time.Minute + time.Second)
	if out := e.authenticate(tok); out.Authenticated || out.Cached || out.Class != "expired" {
		t.Errorf("after the token expired: authenticated %v cached %v class %q, want expired", out.Authenticated, out.Cached, out.Class)
	}
}

// A signature STS rejected is remembered briefly for that exact token:
// retries of one garbage token cost one STS call, not one each.
func TestRejectedTokenIsCachedBriefly(t *testing.T) {
	e := newEnvWith(t, 0, RateLimit{})
	e.sts.Fail(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match")
	tok := e.userToken(t, localsts.DevDeveloperUser)
	first := e.authenticate(tok)
	if first.Authenticated || first.Class != "invalid" {
		t.Fatalf("first: %+v", first)
	}
	again := e.authenticate(tok)
	if again.Authenticated || !again.Cached || again.PublicError != first.PublicError {
		t.Errorf("retry: %+v, want the cached rejection %q", again, first.PublicError)
	}
	if n := e.sts.Calls(); n != 1 {
		t.Errorf("STS calls = %d, want 1", n)
	}
	if n := e.lookups("negative-hit"); n != 1 {
		t.Errorf("negative hits = %v, want 1", n)
	}
	e.sts.Fail(0, "", "") // the key propagated after all
	e.clock.Advance(NegativeCacheTTL)
	if out := e.authenticate(tok); !out.Authenticated {
		t.Errorf("after NegativeCacheTTL: %+v, want STS asked again", out)
	}
	t.Run("throttling is not cached", func(t *testing.T) {
		e := newEnvWith(t, 0, RateLimit{})
		e.sts.Fail(http.StatusBadRequest, "Throttling", "Rate exceeded")
		tok := e.userToken(t, localsts.DevDeveloperUser)
		e.authenticate(tok)
		e.sts.Fail(0, "", "")
		if out := e.authenticate(tok); !out.Authenticated {
			t.Errorf("after throttling ended: %+v", out)
		}
	})
}

// Issue 10.5: distinct unverified tokens from one client reach STS at most
// at the client's rate; over it the answer is "rate-limited" (the webhook
// answers 429) and counted.
func TestSTSRateLimitPerClient(t *testing.T) {
	e := newEnvWith(t, 0, RateLimit{PerSecond: 1, Burst: 2, Clients: 10})
	c := e.sts.UserCredentials(t, localsts.DevDeveloperUser)
	tokens := make([]string, 5)
	for i := range tokens { // distinct tokens: signed a second apart
		tokens[i] = e.sts.TokenAt(t, c, authntest.ClusterID, e.clock.Now().Add(-time.Duration(i+1)*time.Second))
	}
	from := func(tok, client string) Outcome {
		return e.svc.Authenticate(context.Background(), Request{Token: tok, Client: client + ":40000", Method: http.MethodPost, Path: "/authenticate"})
	}
	for i := range 2 {
		if out := from(tokens[i], "10.0.0.1"); !out.Authenticated {
			t.Fatalf("token %d within the burst: %+v", i, out)
		}
	}
	out := from(tokens[2], "10.0.0.1")
	if out.Authenticated || out.Class != "rate-limited" || out.PublicError != ErrRateLimited.Error() {
		t.Fatalf("over the burst: %+v, want rate-limited", out)
	}
	if n := e.sts.Calls(); n != 2 {
		t.Errorf("STS calls = %d, want 2: a rate-limited token must not reach STS", n)
	}
	if n := promtestutil.ToFloat64(e.metrics.RateLimited); n != 1 {
		t.Errorf("sts_rate_limited_total = %v, want 1", n)
	}
	if out := from(tokens[0], "10.0.0.1"); !out.Authenticated || !out.Cached {
		t.Errorf("a cached identity is not rate-limited: %+v", out)
	}
	if out := from(tokens[3], "10.0.0.2"); !out.Authenticated {
		t.Errorf("another client has its own bucket: %+v", out)
	}
	e.clock.Advance(time.Second)
	if out := from(tokens[4], "10.0.0.1"); !out.Authenticated {
		t.Errorf("a second later the bucket has refilled by one: %+v", out)
	}
}

func TestLimiterForgetsLeastRecentlyUsedClients(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(RateLimit{PerSecond: 1, Burst: 1, Clients: 2})
	if !l.allow("a", now) || l.allow("a", now) {
		t.Fatal("a's bucket of one")
	}
	l.allow("b", now)
	l.allow("c", now) // evicts a
	if len(l.items) != 2 {
		t.Errorf("%d buckets kept, want 2", len(l.items))
	}
	if !l.allow("a", now) {
		t.Error("a forgotten client starts with a full bucket")
	}
	if (*limiter)(nil).allow("x", now) != true {
		t.Error("a nil limiter refuses")
	}
}

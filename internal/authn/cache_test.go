package authn

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/identity"
)

func key(b byte) [32]byte { return [32]byte{b} }

func TestCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	alice := identity.Identity{ARN: "arn:aws:iam::111122223333:user/alice"}
	bob := identity.Identity{ARN: "arn:aws:iam::111122223333:user/bob"}

	t.Run("entry is served until, not at, its expiry", func(t *testing.T) {
		c := newCache(10)
		c.put(key(1), alice, t0.Add(time.Minute))
		if e, ok := c.get(key(1), t0.Add(time.Minute-time.Nanosecond)); !ok || e.id.ARN != alice.ARN {
			t.Errorf("get just before expiry = %v, %v", e.id.ARN, ok)
		}
		if _, ok := c.get(key(1), t0.Add(time.Minute)); ok {
			t.Error("get at expiry served the entry")
		}
		if c.len() != 0 {
			t.Errorf("len = %d after the entry expired, want 0", c.len())
		}
	})
	t.Run("put replaces an entry and its expiry", func(t *testing.T) {
		c := newCache(10)
		c.put(key(1), alice, t0.Add(time.Minute))
		c.put(key(1), bob, t0.Add(time.Hour))
		if e, ok := c.get(key(1), t0.Add(30*time.Minute)); !ok || e.id.ARN != bob.ARN {
			t.Errorf("get = %v, %v; want bob", e.id.ARN, ok)
		}
		if c.len() != 1 {
			t.Errorf("len = %d, want 1", c.len())
		}
	})
	t.Run("the least recently used entry is evicted beyond the size", func(t *testing.T) {
		c := newCache(2)
		far := t0.Add(time.Hour)
		c.put(key(1), alice, far)
		c.put(key(2), bob, far)
		c.get(key(1), t0) // 1 is now the most recent
		c.put(key(3), alice, far)
		if _, ok := c.get(key(2), t0); ok {
			t.Error("key 2, the least recently used, was kept")
		}
		for _, k := range []byte{1, 3} {
			if _, ok := c.get(key(k), t0); !ok {
				t.Errorf("key %d evicted", k)
			}
		}
		if c.len() != 2 {
			t.Errorf("len = %d, want 2", c.len())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		if _, ok := newCache(1).get(key(9), t0); ok {
			t.Error("empty cache served an entry")
		}
	})
}

func TestFlightGroupSharesOneCall(t *testing.T) {
	var g flightGroup
	started, release := make(chan struct{}), make(chan struct{})
	calls := 0
	fn := func() (identity.Identity, error) {
		calls++
		close(started)
		<-release
		return identity.Identity{ARN: "arn:aws:iam::111122223333:user/alice"}, nil
	}
	var wg sync.WaitGroup
	var leaderShared bool
	wg.Go(func() { _, leaderShared, _ = g.do(key(1), fn) })
	<-started
	const n = 5
	shared := make([]bool, n)
	ids := make([]identity.Identity, n)
	for i := range n {
		wg.Go(func() { ids[i], shared[i], _ = g.do(key(1), fn) })
	}
	waitFor(t, "the callers to join", func() bool { return g.waiters(key(1)) == n })
	close(release)
	wg.Wait()
	if calls != 1 || leaderShared {
		t.Errorf("calls = %d, leader shared = %v; want 1, false", calls, leaderShared)
	}
	for i := range n {
		if !shared[i] || ids[i].ARN == "" {
			t.Errorf("caller %d: shared %v, id %q", i, shared[i], ids[i].ARN)
		}
	}
	if g.waiters(key(1)) != -1 {
		t.Error("flight kept after it finished")
	}
}

func TestFlightGroupPanicReleasesWaiters(t *testing.T) {
	var g flightGroup
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	var recovered any
	wg.Go(func() {
		defer func() { recovered = recover() }()
		g.do(key(1), func() (identity.Identity, error) {
			close(started)
			<-release
			panic("verifier bug")
		})
	})
	<-started
	var waiterErr error
	var waiterID identity.Identity
	wg.Go(func() { waiterID, _, waiterErr = g.do(key(1), nil) })
	waitFor(t, "the waiter to join", func() bool { return g.waiters(key(1)) == 1 })
	close(release)
	wg.Wait()
	if recovered != "verifier bug" {
		t.Errorf("leader recovered %v, want the panic to reach it", recovered)
	}
	if !errors.Is(waiterErr, errFlightAborted) || waiterID.ARN != "" {
		t.Errorf("waiter got %+v, %v; want errFlightAborted and no identity", waiterID, waiterErr)
	}
	// The key is free again: a later call runs.
	id, shared, err := g.do(key(1), func() (identity.Identity, error) {
		return identity.Identity{ARN: "arn:aws:iam::111122223333:user/alice"}, nil
	})
	if err != nil || shared || id.ARN == "" {
		t.Errorf("call after the panic = %+v, %v, %v", id, shared, err)
	}
}

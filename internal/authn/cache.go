package authn

import (
	"container/list"
	"errors"
	"sync"
	"time"

	"github.com/kubeiam/kubeiam/internal/identity"
)

// cache keeps verified identities by token SHA-256 until their entry
// expires (see Service.identity: the cache TTL, never beyond the token's own
// expiry), evicting the least recently used entry beyond its size. Only the
// identity is cached, never the mapping: mappings are resolved on every
// request. An entry with err set is a negative one: STS rejected exactly
// this token.
type cache struct {
	mu    sync.Mutex
	size  int
	ll    *list.List
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key     [32]byte
	id      identity.Identity
	err     error
	expires time.Time
}

func newCache(size int) *cache {
	return &cache{size: size, ll: list.New(), items: make(map[[32]byte]*list.Element, size)}
}

// get returns the live entry for key: an identity, or for a negative entry
// the error STS answered. Entries are never modified once stored (store
// replaces them), so the caller may keep and share it, read only.
func (c *cache) get(key [32]byte, now time.Time) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e, true
}

func (c *cache) put(key [32]byte, id identity.Identity, expires time.Time) {
	c.store(&cacheEntry{key: key, id: id, expires: expires})
}

// putNegative remembers that STS rejected the token with err.
func (c *cache) putNegative(key [32]byte, err error, expires time.Time) {
	c.store(&cacheEntry{key: key, err: err, expires: expires})
}

func (c *cache) store(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := e.key
	if el, ok := c.items[key]; ok {
		el.Value = e
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(e)
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// flightGroup makes identical concurrent verifications share one call.
type flightGroup struct {
	mu    sync.Mutex
	calls map[[32]byte]*flight
}

type flight struct {
	wg      sync.WaitGroup
	waiters int // callers sharing the flight; guarded by flightGroup.mu
	id      identity.Identity
	err     error
}

// errFlightAborted is what callers sharing a flight get when the call they
// waited on panicked instead of returning.
var errFlightAborted = errors.New("verification aborted")

// do runs fn once for all concurrent callers with the same key; shared
// reports whether this caller waited on another's call.
func (g *flightGroup) do(key [32]byte, fn func() (identity.Identity, error)) (identity.Identity, bool, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = make(map[[32]byte]*flight)
	}
	if f, ok := g.calls[key]; ok {
		f.waiters++
		g.mu.Unlock()
		f.wg.Wait()
		return f.id, true, f.err
	}
	f := &flight{err: errFlightAborted}
	f.wg.Add(1)
	g.calls[key] = f
	g.mu.Unlock()

	// Deferred so that a panicking fn still releases the waiters (with
	// errFlightAborted) and frees the key; otherwise every later request
	// with this token would wait forever.
	defer func() {
		g.mu.Lock()
		delete(g.calls, key)
		g.mu.Unlock()
		f.wg.Done()
	}()
	f.id, f.err = fn()
	return f.id, false, f.err
}

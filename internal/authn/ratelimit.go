package authn

import (
	"container/list"
	"errors"
	"net"
	"sync"
	"time"
)

// ErrRateLimited is the failure of a token that would need an STS call while
// its client is over its STS rate limit. It is not a denial: the webhook
// answers 429 so that kube-apiserver backs off and retries.
var ErrRateLimited = errors.New("too many unverified tokens from this client: STS calls rate-limited, retry later")

// RateLimit configures the per-client STS rate limit; the zero value turns
// it off.
type RateLimit struct {
	PerSecond float64
	Burst     int
	// Clients bounds how many clients' buckets are kept; the least recently
	// used is forgotten first (it comes back with a full bucket).
	Clients int
}

// limiter is a token bucket per client, in a bounded LRU map. Only tokens
// that would reach STS take from the bucket: cached identities and local
// validation failures are free, so a flood of garbage-signature tokens
// turns into at most Burst + PerSecond*t STS calls per client.
type limiter struct {
	cfg   RateLimit
	mu    sync.Mutex
	ll    *list.List
	items map[string]*list.Element
}

type bucket struct {
	client string
	tokens float64
	last   time.Time
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.PerSecond <= 0 || cfg.Burst < 1 {
		return nil
	}
	if cfg.Clients < 1 {
		cfg.Clients = 10000
	}
	return &limiter{cfg: cfg, ll: list.New(), items: map[string]*list.Element{}}
}

// allow takes one token from client's bucket at now, reporting whether
// there was one. A nil limiter allows everything.
func (l *limiter) allow(client string, now time.Time) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.items[client]
	if !ok {
		el = l.ll.PushFront(&bucket{client: client, tokens: float64(l.cfg.Burst), last: now})
		l.items[client] = el
		for l.ll.Len() > l.cfg.Clients {
			last := l.ll.Back()
			l.ll.Remove(last)
			delete(l.items, last.Value.(*bucket).client)
		}
	}
	l.ll.MoveToFront(el)
	b := el.Value.(*bucket)
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(l.cfg.Burst), b.tokens+elapsed.Seconds()*l.cfg.PerSecond)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// clientKey is what the rate limit counts by: the client identity the
// webhook verified (its client certificate) when there is one, otherwise the
// remote IP address without the port, which changes per connection.
func clientKey(req Request) string {
	if req.ClientID != "" {
		return req.ClientID
	}
	if host, _, err := net.SplitHostPort(req.Client); err == nil {
		return host
	}
	return req.Client
}

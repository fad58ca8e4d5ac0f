package ec2dns

import (
	"container/list"
	"time"
)

// cache keeps the answers about instances, a name or a not-found error,
// until they expire, evicting the least recently used beyond its size. It
// is not safe for concurrent use; the Resolver's mutex guards it.
type cache struct {
	size  int
	ll    *list.List // front: most recently used
	items map[string]*list.Element
}

type cacheEntry struct {
	id      string
	name    string
	err     error
	expires time.Time
}

func newCache(size int) *cache {
	return &cache{size: size, ll: list.New(), items: map[string]*list.Element{}}
}

// get returns the unexpired answer about id, dropping an expired one.
func (c *cache) get(id string, now time.Time) (cacheEntry, bool) {
	el, ok := c.items[id]
	if !ok {
		return cacheEntry{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, id)
		return cacheEntry{}, false
	}
	c.ll.MoveToFront(el)
	return *e, true
}

// put stores an answer, evicting the least recently used beyond the size.
func (c *cache) put(e cacheEntry) {
	if el, ok := c.items[e.id]; ok {
		el.Value = &e
		c.ll.MoveToFront(el)
		return
	}
	c.items[e.id] = c.ll.PushFront(&e)
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).id)
	}
}

func (c *cache) len() int { return c.ll.Len() }

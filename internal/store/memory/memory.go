// Package memory is an in-memory store.Backend, for tests and for running
// kubeiam without persistence. Every Update works on a copy of the data and
// swaps it in on success, which gives all-or-nothing transactions at the
// cost of copying the map on each write: fine for the thousands of records
// an access management store holds.
package memory

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/kubeiam/kubeiam/internal/store"
)

// errReadOnly is returned by writes in a View transaction.
var errReadOnly = errors.New("memory: write in a read-only transaction")

// Backend is an in-memory store.Backend. The zero value is not usable; call
// New.
type Backend struct {
	mu     sync.RWMutex
	data   map[string]map[string][]byte
	closed bool
}

// New returns an empty backend.
func New() *Backend {
	return &Backend{data: make(map[string]map[string][]byte)}
}

// View runs fn in a read-only transaction.
func (b *Backend) View(fn func(store.Tx) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return store.ErrClosed
	}
	return fn(&tx{data: b.data})
}

// Update runs fn on a copy of the data and keeps the copy if fn succeeds.
func (b *Backend) Update(fn func(store.Tx) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return store.ErrClosed
	}
	staged := make(map[string]map[string][]byte, len(b.data))
	for name, bucket := range b.data {
		c := make(map[string][]byte, len(bucket))
		for k, v := range bucket {
			c[k] = v // values are never modified in place, only replaced
		}
		staged[name] = c
	}
	if err := fn(&tx{data: staged, writable: true}); err != nil {
		return err
	}
	b.data = staged
	return nil
}

// Close marks the backend closed and drops the data.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed, b.data = true, nil
	return nil
}

type tx struct {
	data     map[string]map[string][]byte
	writable bool
}

func (t *tx) Get(bucket, key string) []byte {
	v, ok := t.data[bucket][key]
	if !ok {
		return nil
	}
	return append([]byte{}, v...)
}

func (t *tx) Put(bucket, key string, value []byte) error {
	if !t.writable {
		return fmt.Errorf("put %s/%q: %w", bucket, key, errReadOnly)
	}
	if t.data[bucket] == nil {
		t.data[bucket] = make(map[string][]byte)
	}
	t.data[bucket][key] = append([]byte{}, value...)
	return nil
}

func (t *tx) Delete(bucket, key string) error {
	if !t.writable {
		return fmt.Errorf("delete %s/%q: %w", bucket, key, errReadOnly)
	}
	delete(t.data[bucket], key)
	return nil
}

func (t *tx) Scan(bucket, start string, fn func(key string, value []byte) (bool, error)) error {
	keys := make([]string, 0, len(t.data[bucket]))
	for k := range t.data[bucket] {
		if k >= start {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		more, err := fn(k, t.data[bucket][k])
		if err != nil || !more {
			return err
		}
	}
	return nil
}

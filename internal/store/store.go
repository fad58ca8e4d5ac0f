// Package store keeps kubeiam's access management state: the cluster's
// access configuration, access entries and access policy associations.
//
// Two layers. Backend is the port an adapter implements: three methods over
// an ordered key-value store of named buckets with serializable
// transactions (adapters: bolt, an embedded file; memory, for tests). Store
// is the typed layer every caller uses; it owns the record encoding, the
// keys and the invariants (one entry per principal key, associations
// deleted with their entry, optimistic concurrency on the cluster config),
// so that every adapter gets them right by construction. The storetest
// package is the conformance suite every adapter must pass.
package store

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
)

// Backend is a transactional, ordered key-value store of named buckets.
// Transactions are serializable: Update runs one at a time and sees every
// committed Update; View sees one consistent state. A transaction whose fn
// returns an error, or panics, changes nothing.
type Backend interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction and commits it, durably,
	// when fn returns nil.
	Update(fn func(Tx) error) error
	// Close releases the backend; later calls fail with ErrClosed.
	Close() error
}

// Tx is one transaction. It is valid only until its fn returns and must not
// be shared between goroutines. Missing buckets read as empty and are
// created by the first Put.
type Tx interface {
	// Get returns the value of key, or nil when there is none. The slice
	// belongs to the caller.
	Get(bucket, key string) []byte
	// Put sets the value of key; it fails in a read-only transaction. value
	// must not be modified before the transaction ends.
	Put(bucket, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(bucket, key string) error
	// Scan calls fn for each key >= start in byte order until fn returns
	// false or an error. value is valid only during the call. fn must not
	// modify the bucket.
	Scan(bucket, start string, fn func(key string, value []byte) (bool, error)) error
}

// Errors of the store. Refusals of the access domain (not found, in use,
// invalid) are *access.Error values instead, ready for the API.
var (
	// ErrConflict: the cluster config changed since the caller read it.
	ErrConflict = errors.New("conflicting update: the cluster configuration has changed, read it again")
	// ErrClosed: the store or backend has been closed.
	ErrClosed = errors.New("store is closed")
	// ErrSchema: the data was written by an incompatible kubeiam.
	ErrSchema = errors.New("unsupported store schema")
)

// Store is the typed access management store. It is safe for concurrent use.
type Store struct {
	backend Backend
	gen     atomic.Uint64

	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

// Open checks (or, on an empty backend, writes) the schema version and
// returns a Store over b. The Store owns b: Close closes it.
func Open(b Backend) (*Store, error) {
	var gen uint64
	err := b.Update(func(tx Tx) error {
		switch v := tx.Get(bucketMeta, keySchema); {
		case v == nil:
			if err := tx.Put(bucketMeta, keySchema, []byte(schemaVersion)); err != nil {
				return err
			}
		case string(v) != schemaVersion:
			return fmt.Errorf("%w: the store has schema version %q, this kubeiam reads version %s", ErrSchema, v, schemaVersion)
		}
		var err error
		gen, err = readGeneration(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s := &Store{backend: b, subs: make(map[chan struct{}]struct{})}
	s.gen.Store(gen)
	return s, nil
}

// Close closes the backend.
func (s *Store) Close() error { return s.backend.Close() }

// Generation returns a number that grows with every committed write. It is
// cheap: compare it with Snapshot.Generation to know when to reload.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Subscribe returns a channel that receives a value after writes are
// committed (several writes may coalesce into one value) and a function
// that ends the subscription. The channel is never closed.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

// update runs fn in a write transaction that also bumps the generation,
// then publishes the new generation and notifies subscribers.
func (s *Store) update(fn func(Tx) error) error {
	var gen uint64
	err := s.backend.Update(func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		g, err := readGeneration(tx)
		if err != nil {
			return err
		}
		gen = g + 1
		return tx.Put(bucketMeta, keyGeneration, []byte(strconv.FormatUint(gen, 10)))
	})
	if err != nil {
		return err
	}
	// Writers commit one at a time, but two may reach this point out of
	// order: never move the published generation backwards.
	for {
		cur := s.gen.Load()
		if cur >= gen || s.gen.CompareAndSwap(cur, gen) {
			break
		}
	}
	s.mu.Lock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // a notification is already pending
		}
	}
	s.mu.Unlock()
	return nil
}

func readGeneration(tx Tx) (uint64, error) {
	v := tx.Get(bucketMeta, keyGeneration)
	if v == nil {
		return 0, nil
	}
	g, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: generation %q: %w", ErrSchema, v, err)
	}
	return g, nil
}

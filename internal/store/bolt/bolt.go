// Package bolt is the embedded store.Backend: one bbolt file, each write
// transaction fsynced on commit, locked against a second process.
package bolt

import (
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/kubeiam/kubeiam/internal/store"
)

// DefaultLockTimeout is how long Open waits for another process to release
// the file when the caller gives no timeout.
const DefaultLockTimeout = time.Second

// fileMode keeps the file, which lists who may administer the cluster,
// private to kubeiam's user.
const fileMode = 0o600

// Backend is a store.Backend over a bbolt file.
type Backend struct {
	db   *bbolt.DB
	path string
}

// Open opens, or creates with mode 0600, the bbolt file at path. bbolt
// holds an exclusive lock on the file while it is open; when another
// process holds it for longer than lockTimeout (DefaultLockTimeout if
// zero), Open fails saying so.
func Open(path string, lockTimeout time.Duration) (*Backend, error) {
	if lockTimeout <= 0 {
		lockTimeout = DefaultLockTimeout
	}
	// Options other than the timeout keep bbolt's defaults, fsync on commit
	// among them: an acknowledged change to who may access the cluster must
	// survive a crash.
	db, err := bbolt.Open(path, fileMode, &bbolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("store is locked by another kubeiam process (%s): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Backend{db: db, path: path}, nil
}

// View runs fn in a read-only bbolt transaction.
func (b *Backend) View(fn func(store.Tx) error) error {
	return b.closedErr(b.db.View(func(t *bbolt.Tx) error { return fn(tx{t}) }))
}

// Update runs fn in a read-write bbolt transaction, committed and fsynced
// when fn returns nil.
func (b *Backend) Update(fn func(store.Tx) error) error {
	return b.closedErr(b.db.Update(func(t *bbolt.Tx) error { return fn(tx{t}) }))
}

// Close closes the file and releases its lock.
func (b *Backend) Close() error {
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", b.path, err)
	}
	return nil
}

// closedErr makes bbolt's "database not open" match store.ErrClosed.
func (b *Backend) closedErr(err error) error {
	if errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w (%s): %w", store.ErrClosed, b.path, err)
	}
	return err
}

type tx struct{ t *bbolt.Tx }

func (t tx) Get(bucket, key string) []byte {
	b := t.t.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil
	}
	// bbolt's slice points into the memory map and dies with the transaction.
	return append([]byte{}, v...)
}

func (t tx) Put(bucket, key string, value []byte) error {
	b, err := t.t.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if err := b.Put([]byte(key), value); err != nil {
		return fmt.Errorf("put %s/%q: %w", bucket, key, err)
	}
	return nil
}

func (t tx) Delete(bucket, key string) error {
	b := t.t.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	if err := b.Delete([]byte(key)); err != nil {
		return fmt.Errorf("delete %s/%q: %w", bucket, key, err)
	}
	return nil
}

func (t tx) Scan(bucket, start string, fn func(key string, value []byte) (bool, error)) error {
	b := t.t.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek([]byte(start)); k != nil; k, v = c.Next() {
		more, err := fn(string(k), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

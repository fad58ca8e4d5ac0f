// Package server assembles "kubeiam server": the store, the mapping
// sources, the verifier, the webhooks and the access-management API behind
// one TLS listener, plus the local STS and a plain-HTTP AWS endpoint in dev
// mode.
package server

import (
	"sync"
	"sync/atomic"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// AccessSource is what the mapper needs of the store: a consistent
// snapshot and a cheap way to know it changed.
type AccessSource interface {
	Snapshot() (access.Snapshot, error)
	Generation() uint64
}

// Mapper holds the mapping snapshot in force and resolves identities
// against it. Reads are lock-free; a change (aws-auth update, store write)
// builds a new snapshot.
type Mapper struct {
	store AccessSource
	opts  resolve.Options

	mu      sync.Mutex // serializes rebuilds
	awsauth *awsauth.Index
	access  access.Snapshot
	snap    atomic.Pointer[resolve.Snapshot]
	loadErr atomic.Value // error from the last store read, or nil
}

// NewMapper reads the store once and returns a mapper with no aws-auth
// mapping yet.
func NewMapper(store AccessSource, opts resolve.Options) (*Mapper, error) {
	m := &Mapper{store: store, opts: opts}
	if err := m.reloadAccess(); err != nil {
		return nil, err
	}
	return m, nil
}

// Resolve maps id with the mappings in force now. A store write is visible
// to the very next call: the store's generation is compared on every call
// (an atomic load) and the snapshot reloaded when it moved.
func (m *Mapper) Resolve(id identity.Identity) resolve.Result {
	return resolve.Resolve(id, m.current(), m.opts)
}

// Snapshot returns the snapshot the next Resolve uses: it performs the
// same generation check, so that explain, whoami and the decision log never
// answer from a snapshot older than the one that authenticates the next
// request.
func (m *Mapper) Snapshot() *resolve.Snapshot { return m.current() }

// ResolveOptions are the options Resolve uses, for callers (explain) that
// must resolve exactly as the server does.
func (m *Mapper) ResolveOptions() resolve.Options { return m.opts }

// current returns the snapshot in force, reloaded first when the store's
// generation moved.
func (m *Mapper) current() *resolve.Snapshot {
	if m.store.Generation() != m.snap.Load().Generation {
		_ = m.reloadAccess() // on failure the last good snapshot stays in force
	}
	return m.snap.Load()
}

// SetAWSAuth replaces the aws-auth mapping (nil empties it).
func (m *Mapper) SetAWSAuth(doc *awsauth.Document) {
	var ix *awsauth.Index
	if doc != nil {
		ix = awsauth.NewIndex(doc)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.awsauth = ix
	m.rebuild()
}

// StoreError returns the error of the last failed store read, if any.
func (m *Mapper) StoreError() error {
	if e, ok := m.loadErr.Load().(errBox); ok {
		return e.err
	}
	return nil
}

type errBox struct{ err error }

func (m *Mapper) reloadAccess() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.snap.Load(); cur != nil && cur.Generation == m.store.Generation() {
		return nil // another caller reloaded already
	}
	s, err := m.store.Snapshot()
	m.loadErr.Store(errBox{err})
	if err != nil {
		return err
	}
	m.access = s
	m.rebuild()
	return nil
}

// rebuild makes a new resolve.Snapshot from the parts. m.mu must be held.
func (m *Mapper) rebuild() { m.snap.Store(resolve.SnapshotOf(m.access, m.awsauth)) }

// Package kubestore is the store.Port adapter over kubeiam's resources in
// the Kubernetes API (kubeiam.io/v1alpha1 AccessEntry and AccessConfig, see
// package v1alpha1), for "kubeiam server --store kubernetes": the access
// state lives in the cluster's own etcd and several kubeiam replicas share
// it.
//
// Reads come from a cache fed by informers (list, then watch), so the auth
// hot path never calls the API and the last synced state keeps serving
// while the API is unreachable. Writes go to the API with per-object
// optimistic concurrency (resourceVersion) and then wait until the watch
// has delivered them, so that a replica's own writes are visible to its
// next request. No write spans two objects; the invariants hold by the
// shape of the objects: one AccessEntry per principal, named after it
// (a second create conflicts: ResourceInUseException), associations inside
// their entry, and the one-way mode checked against the AccessConfig's
// generation (and by the CRD's CEL transition rule).
package kubestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store"
)

// ClientQPS and ClientBurst are the client-side rate limits kubeiam sets
// on its own Kubernetes clients: client-go's defaults (5 and 10) throttle a
// burst of access management writes.
const (
	ClientQPS   = 50
	ClientBurst = 100
)

// Defaults of Config.
const (
	DefaultCallTimeout = 10 * time.Second
	DefaultWaitTimeout = 10 * time.Second
)

// Config configures New.
type Config struct {
	// Client talks to kube-apiserver with kubeiam's own credentials.
	Client dynamic.Interface
	// Logger receives warnings about objects the domain refuses.
	Logger *slog.Logger
	// Now is the clock of the watch health; time.Now when nil.
	Now func() time.Time
	// CallTimeout bounds each API call; WaitTimeout bounds how long a write
	// waits for the watch to deliver it before returning anyway.
	CallTimeout, WaitTimeout time.Duration
}

// Store is the kubernetes store. Create it with New; it is safe for
// concurrent use.
type Store struct {
	entries, configs dynamic.NamespaceableResourceInterface
	// tokens are the RequestTokens, read and written at create time only:
	// no informer.
	tokens      dynamic.NamespaceableResourceInterface
	log         *slog.Logger
	now         func() time.Time
	callTimeout time.Duration
	waitTimeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup
	synced []cache.InformerSynced
	closed atomic.Bool
	gen    atomic.Uint64
	health watchHealth

	mu       sync.RWMutex
	byName   map[string]*cachedEntry
	cluster  access.ClusterConfig
	configRV string
	// seenRV is, per resource, the highest resource version the cache
	// has received from that resource's watch.
	seenRV map[string]uint64
	wake   chan struct{}

	subsMu sync.Mutex
	subs   map[chan struct{}]struct{}
}

var _ store.Port = (*Store)(nil)

// New starts the informers and returns at once: the cache fills in the
// background (see HasSynced and WaitForSync); until then the store reads
// as empty.
func New(cfg Config) (*Store, error) {
	if cfg.Client == nil {
		return nil, errors.New("kubestore: no Kubernetes client")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.WaitTimeout <= 0 {
		cfg.WaitTimeout = DefaultWaitTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		entries: cfg.Client.Resource(v1alpha1.AccessEntryGVR()), configs: cfg.Client.Resource(v1alpha1.AccessConfigGVR()),
		tokens: cfg.Client.Resource(v1alpha1.RequestTokenGVR()),
		log:    cfg.Logger, now: cfg.Now, callTimeout: cfg.CallTimeout, waitTimeout: cfg.WaitTimeout,
		ctx: ctx, cancel: cancel,
		byName: make(map[string]*cachedEntry), seenRV: make(map[string]uint64),
		wake: make(chan struct{}), subs: make(map[chan struct{}]struct{}),
	}
	s.health.now = cfg.Now
	for _, r := range []struct {
		gvr     schema.GroupVersionResource
		client  dynamic.NamespaceableResourceInterface
		handler cache.ResourceEventHandler
	}{
		{v1alpha1.AccessConfigGVR(), s.configs, s.configHandler()},
		{v1alpha1.AccessEntryGVR(), s.entries, s.entryHandler()},
	} {
		inf := cache.NewSharedIndexInformer(s.listWatch(r.gvr.Resource, r.client), &unstructured.Unstructured{}, 0, cache.Indexers{})
		reg, err := inf.AddEventHandler(r.handler)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("kubestore: %w", err)
		}
		_ = inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) { s.health.failed(r.gvr.Resource, err) })
		// Synced once the handler, not only the informer's own store, has
		// received the initial list.
		s.synced = append(s.synced, reg.HasSynced)
		s.done.Add(1)
		go func() { defer s.done.Done(); inf.Run(ctx.Done()) }()
	}
	return s, nil
}

// listWatch lists and watches a resource, recording the watch's health.
func (s *Store) listWatch(resource string, client dynamic.NamespaceableResourceInterface) *cache.ListWatch {
	return &cache.ListWatch{
		ListFunc: func(o metav1.ListOptions) (runtime.Object, error) {
			l, err := client.List(s.ctx, o)
			s.health.record(resource, err)
			return l, err
		},
		WatchFunc: func(o metav1.ListOptions) (watch.Interface, error) {
			w, err := client.Watch(s.ctx, o)
			s.health.record(resource, err)
			return w, err
		},
	}
}

// HasSynced reports whether both informers have listed once.
func (s *Store) HasSynced() bool {
	for _, f := range s.synced {
		if !f() {
			return false
		}
	}
	return true
}

// WaitForSync blocks until HasSynced or ctx is done.
func (s *Store) WaitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), s.synced...) {
		return fmt.Errorf("kubestore: cache not synced: %w", context.Cause(ctx))
	}
	return nil
}

// BrokenFor returns how long the list or watch of a resource has been
// failing, with the last error; 0 while it works.
func (s *Store) BrokenFor() (time.Duration, error) { return s.health.brokenFor() }

// Close stops the informers; later calls fail with store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.done.Wait()
	return nil
}

// Generation grows with every change the cache has seen.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Subscribe returns a channel that receives a value after changes.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.subsMu.Lock()
	s.subs[ch] = struct{}{}
	s.subsMu.Unlock()
	return ch, func() {
		s.subsMu.Lock()
		delete(s.subs, ch)
		s.subsMu.Unlock()
	}
}

// Snapshot returns the cached state.
func (s *Store) Snapshot() (access.Snapshot, error) {
	if s.closed.Load() {
		return access.Snapshot{}, store.ErrClosed
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	snap := access.Snapshot{
		Cluster:      s.cluster.Clone(),
		Entries:      make(map[string]access.AccessEntry, len(s.byName)),
		Associations: make(map[string][]access.AccessPolicyAssociation),
		Generation:   s.gen.Load(),
	}
	for _, ce := range s.byName {
		if ce.key == "" {
			continue
		}
		snap.Entries[ce.key] = ce.entry.Clone()
		for _, a := range ce.assocs {
			snap.Associations[ce.key] = append(snap.Associations[ce.key], a.Clone())
		}
	}
	return snap, nil
}

// call returns a context for one API call.
func (s *Store) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.callTimeout)
}

// waitFor blocks until ok (called with s.mu held for reading) holds of the
// cache, or the wait times out: the write it follows has succeeded either
// way, so a timeout is logged, not returned.
func (s *Store) waitFor(what string, ok func() bool) {
	timer := time.NewTimer(s.waitTimeout)
	defer timer.Stop()
	for {
		s.mu.RLock()
		done, wake := ok(), s.wake
		s.mu.RUnlock()
		if done {
			return
		}
		select {
		case <-wake:
		case <-timer.C:
			s.log.Warn("write not yet seen by the watch; later reads may not show it at once", "write", what)
			return
		case <-s.ctx.Done():
			return
		}
	}
}

// waitForRV waits until the cache has caught up with resource version rv
// of resource: a watch delivers one resource's events in order, so once it
// has delivered rv it has delivered the write that returned rv.
func (s *Store) waitForRV(what, resource, rv string) {
	n, err := parseRV(rv)
	if err != nil {
		return
	}
	s.waitFor(what, func() bool { return s.seenRV[resource] >= n })
}

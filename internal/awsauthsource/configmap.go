package awsauthsource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Defaults of ConfigMapOptions: where EKS and aws-iam-authenticator keep the
// mapping.
const (
	DefaultNamespace = "kube-system"
	DefaultName      = "aws-auth"
)

// ConfigMapOptions configures a ConfigMapSource. The zero value is usable.
type ConfigMapOptions struct {
	// Namespace of the ConfigMap; DefaultNamespace when empty.
	Namespace string
	// Name of the ConfigMap; DefaultName when empty.
	Name string
	// Logger receives the source's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock for Status.LastGood; time.Now when nil.
	Now func() time.Time
	// Resync is the informer's resync period; zero disables resyncs, which
	// the watch makes unnecessary (a resync never re-applies unchanged data).
	Resync time.Duration
}

// ConfigMapSource watches one ConfigMap through a client-go informer
// restricted to its namespace and name; it needs get, list and watch on
// configmaps in that namespace.
//
// A ConfigMap absent at start delivers the empty mapping once the informer
// has synced (clusters using access entries only have no aws-auth). Errors
// listing or watching before that show in Status.LastError; after it, the
// informer retries on its own and the mapping in force stays valid, so they
// are only logged ("aws-auth watch failed").
type ConfigMapSource struct {
	client    kubernetes.Interface
	namespace string
	name      string
	resync    time.Duration
	t         *tracker
	running   atomic.Bool
}

// NewConfigMapSource returns a source for the ConfigMap named in opts that
// delivers to sink.
func NewConfigMapSource(client kubernetes.Interface, sink Sink, opts ConfigMapOptions) (*ConfigMapSource, error) {
	if client == nil {
		return nil, errors.New("aws-auth configmap source: nil client")
	}
	if sink == nil {
		return nil, fmt.Errorf("aws-auth configmap source: %w", ErrNoSink)
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	return &ConfigMapSource{
		client:    client,
		namespace: opts.Namespace,
		name:      opts.Name,
		resync:    opts.Resync,
		t:         newTracker("configmap "+opts.Namespace+"/"+opts.Name, sink, opts.Logger, opts.Now),
	}, nil
}

// Run watches the ConfigMap until ctx is done and returns nil. It fails only
// when called twice or when the informer refuses a handler.
func (s *ConfigMapSource) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	factory := informers.NewSharedInformerFactoryWithOptions(s.client, s.resync,
		informers.WithNamespace(s.namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", s.name).String()
		}))
	informer := factory.Core().V1().ConfigMaps().Informer()
	if err := informer.SetWatchErrorHandler(s.watchError); err != nil {
		return fmt.Errorf("aws-auth informer: %w", err)
	}
	reg, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.onAdd,
		UpdateFunc: s.onUpdate,
		DeleteFunc: s.onDelete,
	})
	if err != nil {
		return fmt.Errorf("aws-auth informer: %w", err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	// reg.HasSynced, unlike the informer's, waits until the handler has seen
	// the initial list, so "nothing seen" below means "absent".
	if cache.WaitForCacheSync(ctx.Done(), reg.HasSynced) {
		s.t.absentIfUnseen()
		s.t.synced.Store(true)
	}
	<-ctx.Done()
	return nil
}

// Status returns a snapshot of the source.
func (s *ConfigMapSource) Status() Status { return s.t.status() }

// HasSynced reports whether the initial state of the ConfigMap, present or
// absent, accepted or rejected, has been processed.
func (s *ConfigMapSource) HasSynced() bool { return s.t.synced.Load() }

// ours returns obj as our ConfigMap, or nil. The field selector already
// restricts the informer; checking again costs nothing and keeps a client
// that ignores field selectors (fakes, proxies) from feeding us others.
func (s *ConfigMapSource) ours(obj any) *corev1.ConfigMap {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	cm, ok := obj.(*corev1.ConfigMap)
	if !ok || cm.Namespace != s.namespace || cm.Name != s.name {
		return nil
	}
	return cm
}

func (s *ConfigMapSource) onAdd(obj any) {
	if cm := s.ours(obj); cm != nil {
		s.t.offer(cm.ResourceVersion, cm.Data, nil)
	}
}

func (s *ConfigMapSource) onUpdate(oldObj, newObj any) {
	cm := s.ours(newObj)
	if cm == nil {
		return
	}
	// Resyncs and edits of labels or annotations leave the data alone; the
	// verdict on unchanged data cannot change, so do not log it again.
	if old := s.ours(oldObj); old != nil && maps.Equal(old.Data, cm.Data) {
		return
	}
	s.t.offer(cm.ResourceVersion, cm.Data, nil)
}

func (s *ConfigMapSource) onDelete(obj any) {
	if cm := s.ours(obj); cm != nil {
		s.t.deleted(cm.ResourceVersion)
	}
}

// watchError logs list and watch failures. A watch closing or expiring is
// routine: the reflector relists, as cache.DefaultWatchErrorHandler knows.
func (s *ConfigMapSource) watchError(_ *cache.Reflector, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
		s.t.log.Debug("aws-auth watch restarted", "error", err)
		return
	}
	s.t.log.Warn("aws-auth watch failed", "error", err)
	s.t.noteError(err)
}

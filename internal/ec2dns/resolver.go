package ec2dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubeiam/kubeiam/internal/identity"
)

// DescribeInstancesAPI is the one EC2 call the Resolver makes; *ec2.Client
// satisfies it.
type DescribeInstancesAPI interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

// Defaults of Config.
const (
	DefaultTTL         = 15 * time.Minute
	DefaultNegativeTTL = 30 * time.Second
	DefaultBatchWindow = 10 * time.Millisecond
	DefaultMaxBatch    = 100
	DefaultTimeout     = 5 * time.Second
	DefaultCacheSize   = 10000
)

// maxBatchLimit is the most instance IDs one DescribeInstances call names.
const maxBatchLimit = 1000

// Config configures a Resolver. Only Client is required.
type Config struct {
	// Client makes the DescribeInstances calls (see NewClient).
	Client DescribeInstancesAPI
	// TTL is how long a private DNS name stays cached (default 15m).
	TTL time.Duration
	// NegativeTTL is how long "not found" stays cached (default 30s): long
	// enough to spare EC2 a caller retrying, short enough for a new
	// instance to become visible.
	NegativeTTL time.Duration
	// BatchWindow is how long the first lookup waits for others to share
	// its DescribeInstances call (default 10ms).
	BatchWindow time.Duration
	// MaxBatch is the most instance IDs per call (default 100, at most
	// 1000); a full batch is sent at once.
	MaxBatch int
	// Timeout bounds one DescribeInstances call, the SDK's retries
	// included (default 5s).
	Timeout time.Duration
	// CacheSize is how many instances stay cached (default 10000).
	CacheSize int
	// Now is the clock of the cache (default time.Now).
	Now func() time.Time
	// Metrics, when set, receives the kubeiam_ec2_* collectors.
	Metrics prometheus.Registerer
	// Logger receives the causes of failed calls (default: discarded).
	Logger *slog.Logger
}

// Resolver resolves instance IDs to private DNS names. It is safe for
// concurrent use and needs no closing: a batch's timer is its only
// background work.
type Resolver struct {
	cfg     Config
	metrics *collectors

	mu       sync.Mutex
	cache    *cache
	inflight map[string]*flight // asked and not yet answered, pending included
	pending  []*flight          // the batch being gathered
	batch    uint64             // number of the batch being gathered
}

// flight is one instance's lookup, shared by every caller asking for it
// before EC2 answers. name and err are written before done is closed.
type flight struct {
	id   string
	done chan struct{}
	name string
	err  error
}

// New returns a Resolver, applying the defaults of Config.
func New(cfg Config) (*Resolver, error) {
	if cfg.Client == nil {
		return nil, errors.New("ec2dns: Client is required")
	}
	setDefault(&cfg.TTL, DefaultTTL)
	setDefault(&cfg.NegativeTTL, DefaultNegativeTTL)
	setDefault(&cfg.BatchWindow, DefaultBatchWindow)
	setDefault(&cfg.MaxBatch, DefaultMaxBatch)
	setDefault(&cfg.Timeout, DefaultTimeout)
	setDefault(&cfg.CacheSize, DefaultCacheSize)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.TTL < 0, cfg.NegativeTTL < 0, cfg.BatchWindow < 0, cfg.Timeout < 0, cfg.CacheSize < 0:
		return nil, errors.New("ec2dns: durations and sizes must not be negative")
	case cfg.MaxBatch < 1 || cfg.MaxBatch > maxBatchLimit:
		return nil, fmt.Errorf("ec2dns: MaxBatch %d must be between 1 and %d", cfg.MaxBatch, maxBatchLimit)
	}
	m, err := newCollectors(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("ec2dns: register metrics: %w", err)
	}
	return &Resolver{cfg: cfg, metrics: m, cache: newCache(cfg.CacheSize), inflight: map[string]*flight{}}, nil
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Resolver resolves the private DNS name of the instance named by the
// caller's role session; it is what resolve.Options.EC2PrivateDNSName
// takes. A caller whose session name is not an instance ID gets an
// ErrInvalidInstanceID error and EC2 is not asked. The call is bounded by
// the batch window and Timeout.
func (r *Resolver) Resolver(id identity.Identity) (string, error) {
	switch {
	case id.SessionName == "":
		r.metrics.lookup("invalid")
		return "", fmt.Errorf("%w: the caller is not an assumed-role session, so it names no instance", ErrInvalidInstanceID)
	case !ValidInstanceID(id.SessionName):
		r.metrics.lookup("invalid")
		return "", fmt.Errorf("%w: the role session name %q is not an instance ID (i-0123456789abcdef0)", ErrInvalidInstanceID, truncate(id.SessionName))
	}
	return r.Lookup(context.Background(), id.SessionName)
}

// Lookup returns the private DNS name of the instance. Errors satisfy
// errors.Is for exactly one of ErrInvalidInstanceID, ErrNotFound,
// ErrThrottled or ErrUnavailable. A caller whose ctx ends stops waiting;
// the call it joined carries on for the others and for the cache.
func (r *Resolver) Lookup(ctx context.Context, instanceID string) (string, error) {
	if !ValidInstanceID(instanceID) {
		r.metrics.lookup("invalid")
		return "", fmt.Errorf("%w: %q", ErrInvalidInstanceID, truncate(instanceID))
	}
	r.mu.Lock()
	if e, ok := r.cache.get(instanceID, r.cfg.Now()); ok {
		r.mu.Unlock()
		if e.err != nil {
			r.metrics.lookup("negative_hit")
		} else {
			r.metrics.lookup("hit")
		}
		return e.name, e.err
	}
	f, shared := r.inflight[instanceID]
	if !shared {
		f = &flight{id: instanceID, done: make(chan struct{})}
		r.inflight[instanceID] = f
		r.enqueue(f)
	}
	r.mu.Unlock()
	if shared {
		r.metrics.lookup("shared")
	} else {
		r.metrics.lookup("miss")
	}
	select {
	case <-f.done:
		return f.name, f.err
	case <-ctx.Done():
		return "", &Error{InstanceID: instanceID, class: ErrUnavailable, detail: "caller gave up", cause: ctx.Err()}
	}
}

// truncate bounds a caller-chosen string quoted in an error.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

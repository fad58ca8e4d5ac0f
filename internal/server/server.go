package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/api"
	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/certs"
	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/ec2dns"
	"github.com/kubeiam/kubeiam/internal/iamid"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/kubestore"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// Options are what Run needs besides the configuration.
type Options struct {
	Config config.Server
	// Logger is the server's log. When its handler counts dropped records
	// (decisionlog.Async, see NewAsyncLogger), the counts are exported as
	// kubeiam_log_records_dropped_total.
	Logger *slog.Logger
	Now    func() time.Time
	// LocalSTS, when set, is served with the access-management API as plain
	// HTTP on AWSListener, a loopback listener (dev mode).
	LocalSTS    *localsts.Server
	AWSListener net.Listener
	// PrincipalIDs, when set, looks up the IAM unique ID recorded with each
	// access entry created through the API (see LocalPrincipalIDs); nil
	// records none, and entries match by ARN alone.
	PrincipalIDs api.PrincipalIDs
	// KubeClient overrides the client built from AWSAuth.Kubeconfig.
	KubeClient kubernetes.Interface
	// StoreClient overrides the client built from Store.Kubeconfig.
	StoreClient dynamic.Interface
	// OnReady is called once every listener accepts connections.
	OnReady func(*Server)
}

// Server is a running kubeiam server.
type Server struct {
	opts    Options
	cfg     config.Server
	log     *slog.Logger
	store   store.Port
	kstore  *kubestore.Store // the store, when it is the kubernetes one
	cluster access.ClusterConfig
	// clusterReady is set once the cluster configuration is stored.
	clusterReady atomic.Bool
	mapper       *Mapper
	metrics      *metrics.Metrics
	decision     *decisionlog.Log
	authn        *authn.Service
	binder       *webhook.Binder
	bundle       certs.Bundle
	client       certs.ClientBundle
	sources      []source
	checks       []Checker
	verifier     *sts.Verifier // cluster tokens, for TokenReview
	// apiVerifier verifies API-audience tokens for the access-management
	// API and the manager diagnosis endpoints.
	apiVerifier *sts.Verifier
	api         http.Handler
	diag        http.Handler
	audit       io.Closer

	ln    net.Listener
	awsLn net.Listener
}

// Addr is the TLS listener's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// AWSAddr is the dev AWS endpoint's address, or "".
func (s *Server) AWSAddr() string {
	if s.awsLn == nil {
		return ""
	}
	return s.awsLn.Addr().String()
}

// URL returns the https URL of a path on the TLS listener.
func (s *Server) URL(path string) string { return "https://" + s.Addr() + path }

// StateDir is where certificates, kubeconfigs and the store live.
func (s *Server) StateDir() string { return s.cfg.StateDir }

// Cluster is the cluster configuration the server started with.
func (s *Server) Cluster() access.ClusterConfig { return s.cluster }

// Bundle is the TLS material in use.
func (s *Server) Bundle() certs.Bundle { return s.bundle }

// Decisions is the in-memory decision log.
func (s *Server) Decisions() *decisionlog.Log { return s.decision }

// Run starts the server and blocks until ctx is done, then shuts down
// gracefully. Every setup error is returned before anything listens.
func Run(ctx context.Context, opts Options) error {
	undo, err := recordDir(opts.Config.StateDir)
	if err != nil {
		return err
	}
	ready := false
	onReady := opts.OnReady
	opts.OnReady = func(s *Server) {
		ready = true
		if onReady != nil {
			onReady(s)
		}
	}
	s, err := newServer(opts)
	if err != nil {
		return failedStart(undo, err)
	}
	err = s.serve(ctx)
	s.close()
	if err != nil && !ready {
		return failedStart(undo, err)
	}
	return err
}

func newServer(opts Options) (*Server, error) {
	cfg := opts.Config
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, cfg: cfg, log: opts.Logger, metrics: metrics.New(), decision: decisionlog.New(cfg.DecisionLogSize)}
	if d, ok := opts.Logger.Handler().(interface{ Dropped(kind string) uint64 }); ok {
		s.metrics.RegisterLogDrops(d.Dropped)
	}
	if err := ensureDir(cfg.StateDir); err != nil {
		return nil, err
	}
	if cfg.Store.Type == config.StoreKubernetes {
		ks, err := s.openKubeStore()
		if err != nil {
			return nil, err
		}
		s.store, s.kstore = ks, ks
	} else {
		st, err := openStore(cfg.StateDir)
		if err != nil {
			return nil, err
		}
		s.store = st
	}
	if err := s.setup(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// setup builds everything between the store and the listeners.
func (s *Server) setup() error {
	cfg := s.cfg
	err := s.setupCluster()
	if err != nil {
		return err
	}
	var resolveOpts resolve.Options
	if cfg.EC2.Enabled {
		client, err := ec2dns.NewClient(context.Background(), ec2dns.ClientConfig{Region: cfg.EC2.Region, Endpoint: cfg.EC2.Endpoint})
		if err != nil {
			return err
		}
		dns, err := ec2dns.New(ec2dns.Config{Client: client, Now: s.opts.Now, Metrics: s.metrics.Registry, Logger: s.log})
		if err != nil {
			return err
		}
		resolveOpts.EC2PrivateDNSName = dns.Resolver
		s.log.Info("EC2 private DNS lookups enabled", "region", cfg.EC2.Region, "endpoint", cfg.EC2.Endpoint)
	}
	if cfg.IAM.PrincipalIDs && s.opts.PrincipalIDs == nil {
		awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(cfg.Region))
		if err != nil {
			return fmt.Errorf("IAM principal ID lookups: %w", err)
		}
		s.opts.PrincipalIDs = iamid.New(awsCfg, cfg.IAM.Endpoint)
		s.log.Info("IAM principal ID lookups enabled", "endpoint", cfg.IAM.Endpoint)
	}
	if s.mapper, err = NewMapper(s.store, resolveOpts); err != nil {
		return fmt.Errorf("read access entries: %w", err)
	}
	// One verifier per audience: the TokenReview webhook accepts only
	// cluster tokens, the access-management API only API tokens. Both
	// share one transport, so their connections to STS are reused.
	vc := sts.VerifierConfig{
		ClusterID: cfg.ClusterID, Partition: cfg.Partition, Endpoint: cfg.STSEndpoint,
		AllowInsecureHTTP: cfg.InsecureAllowHTTPSTSEndpoint, Timeout: cfg.STSTimeout.Duration, Now: s.opts.Now,
		HTTPClient: &http.Client{Transport: sts.NewTransport(sts.DefaultMaxConns)},
	}
	if sts.InsecureEndpoint(cfg.STSEndpoint) {
		s.log.Warn("INSECURE: the STS endpoint is plain http to a host that is not loopback; presigned tokens and identity answers cross the network unencrypted and unauthenticated",
			"stsEndpoint", cfg.STSEndpoint, "flag", "--insecure-allow-http-sts-endpoint")
	}
	if s.verifier, err = sts.NewVerifier(vc); err != nil {
		return err
	}
	vc.Audience = token.AudienceAPI
	if s.apiVerifier, err = sts.NewVerifier(vc); err != nil {
		return err
	}
	s.authn, err = authn.New(authn.Config{
		Verifier: s.verifier, Mapper: s.mapper, Log: s.decision, Metrics: s.metrics,
		Logger: s.log, Now: s.opts.Now, CacheSize: cfg.CacheSize, CacheTTL: cfg.CacheTTL.Duration, ClusterID: cfg.ClusterID,
		RateLimit: authn.RateLimit{PerSecond: cfg.STSRateLimit.PerSecond, Burst: cfg.STSRateLimit.Burst, Clients: cfg.STSRateLimit.Clients},
	})
	if err != nil {
		return err
	}
	// Fail closed: without its binding key the server cannot tell its own
	// users from impersonated ones, so it does not start.
	key, err := bindingKey(cfg.StateDir)
	if err != nil {
		return err
	}
	lifetime := cfg.BindingLifetime.Duration
	if lifetime == 0 {
		lifetime = config.DefaultBindingLifetime
	}
	if s.binder, err = webhook.NewBinder(key, lifetime); err != nil {
		return fmt.Errorf("binding key: %w", err)
	}
	if err := s.setupSources(); err != nil {
		return err
	}
	if err := s.setupAPI(); err != nil {
		return err
	}
	if s.kstore != nil {
		s.checks = append(s.checks, s.kubeStoreCheck(s.kstore))
		return nil
	}
	s.checks = append(s.checks, func() Check {
		if err := s.mapper.StoreError(); err != nil {
			return Check{Name: "store", Ready: false, Detail: err.Error()}
		}
		return Check{Name: "store", Ready: true, Healthy: true}
	})
	return nil
}

// setupCluster stores the cluster's access configuration on first start
// (embedded store), or, with the kubernetes store, takes the configured one
// until the store has synced and serve has stored it (ensureClusterInAPI).
func (s *Server) setupCluster() error {
	if s.kstore != nil {
		c, err := provisionalCluster(s)
		s.cluster = c
		return err
	}
	cluster, created, err := ensureCluster(s.store, s.cfg, s.opts.Now())
	if err != nil {
		return err
	}
	s.cluster = cluster
	s.clusterReady.Store(true)
	if created {
		s.log.Info("cluster configuration created", "cluster", cluster.Name, "authenticationMode", cluster.AuthenticationMode, "creator", cluster.CreatorARN)
	} else if creatorMismatch(cluster, s.cfg.ClusterCreatorARN) {
		s.log.Warn("configured cluster creator differs from the stored one; the stored one is kept",
			"stored", cluster.CreatorARN, "configured", s.cfg.ClusterCreatorARN)
	}
	return nil
}

// servingHosts are the names the generated certificate covers: loopback,
// plus the listen host when it is a specific one.
func servingHosts(listen string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	h, _, err := net.SplitHostPort(listen)
	if err == nil && h != "" && h != "0.0.0.0" && h != "::" && h != "localhost" && h != "127.0.0.1" && h != "::1" {
		hosts = append(hosts, h)
	}
	return hosts
}

// handler is the TLS listener's mux.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/authenticate", s.webhookClientOnly(&webhook.TokenReviewHandler{Auth: s.authn, Metrics: s.metrics,
		Binder: s.binder, Now: s.opts.Now, APIAudiences: s.cfg.APIAudiences}))
	mux.Handle("/authorize", s.webhookClientOnly(&webhook.SubjectAccessReviewHandler{Mapper: s.mapper, Binder: s.binder,
		Metrics: s.metrics, Logger: s.log, Now: s.opts.Now}))
	// Probes and metrics are read-only: GET (and HEAD); any other method
	// is 405 with an Allow header, as kube-apiserver answers its own.
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /livez", healthz)
	mux.Handle("GET /readyz", readyz(s.checks))
	mux.Handle("GET /metrics", s.metrics.Handler())
	s.mountAPI(mux)
	s.mountAdmission(mux)
	return mux
}

// serve listens, writes the webhook kubeconfigs, and serves until ctx ends.
func (s *Server) serve(ctx context.Context) error {
	ln, err := listen(s.cfg.Listen, "--listen")
	if err != nil {
		return err
	}
	s.ln = ln
	if s.opts.LocalSTS != nil {
		s.awsLn = s.opts.AWSListener
	}
	tlsCfg, err := s.writeState()
	if err != nil {
		ln.Close()
		return err
	}
	srv := newHTTPServer(s.handler(), s.log)
	srv.TLSConfig = tlsCfg
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(tls.NewListener(ln, tlsCfg)) }()
	if s.awsLn != nil {
		aws := newHTTPServer(s.awsHandler(), s.log)
		servers = append(servers, aws)
		go func() { errc <- aws.Serve(s.awsLn) }()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, src := range s.sources {
		wg.Add(1)
		go func() { defer wg.Done(); src.run(runCtx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.syncSourceMetrics(runCtx) }()
	if s.kstore != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.ensureClusterInAPI(runCtx, s.kstore) }()
	}

	s.log.Info("kubeiam server started", "listen", s.Addr(), "cluster", s.cfg.ClusterID,
		"authenticationMode", s.cluster.AuthenticationMode, "stateDir", s.cfg.StateDir)
	if s.opts.OnReady != nil {
		s.opts.OnReady(s)
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.log.Info("kubeiam server stopping")
	shutCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	for _, srv := range servers {
		_ = srv.Shutdown(shutCtx)
	}
	cancel()
	wg.Wait()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// listen opens a TCP listener, explaining the usual failure.
func listen(addr, flag string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return nil, fmt.Errorf("%s %s: address already in use (another kubeiam server? choose another with %s HOST:PORT, or port 0 for any free port)", flag, addr, flag)
		}
		return nil, fmt.Errorf("%s %s: %w", flag, addr, err)
	}
	return ln, nil
}

// KubeconfigPaths returns the webhook kubeconfig files for authentication
// and authorization.
func (s *Server) KubeconfigPaths() (authn, authz string) {
	return filepath.Join(s.cfg.StateDir, authnKubeconfig), filepath.Join(s.cfg.StateDir, authzKubeconfig)
}

// awsHandler serves the dev AWS endpoint: the access-management API and,
// for every other path, the local STS.
func (s *Server) awsHandler() http.Handler {
	mux := http.NewServeMux()
	s.mountAPI(mux)
	mux.Handle("/", s.opts.LocalSTS)
	return mux
}

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
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/certs"
	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/ec2dns"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// Options are what Run needs besides the configuration.
type Options struct {
	Config config.Server
	Logger *slog.Logger
	Now    func() time.Time
	// LocalSTS, when set, is served with the access-management API as plain
	// HTTP on AWSListener, a loopback listener (dev mode).
	LocalSTS    *localsts.Server
	AWSListener net.Listener
	// KubeClient overrides the client built from AWSAuth.Kubeconfig.
	KubeClient kubernetes.Interface
	// OnReady is called once every listener accepts connections.
	OnReady func(*Server)
}

// Server is a running kubeiam server.
type Server struct {
	opts     Options
	cfg      config.Server
	log      *slog.Logger
	store    *store.Store
	cluster  access.ClusterConfig
	mapper   *Mapper
	metrics  *metrics.Metrics
	decision *decisionlog.Log
	authn    *authn.Service
	bundle   certs.Bundle
	sources  []source
	checks   []Checker
	verifier *sts.Verifier
	api      http.Handler
	diag     http.Handler
	audit    io.Closer

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
	s, err := newServer(opts)
	if err != nil {
		return err
	}
	defer s.close()
	return s.serve(ctx)
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
	if err := ensureDir(cfg.StateDir); err != nil {
		return nil, err
	}
	st, err := openStore(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	s.store = st
	if err := s.setup(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// setup builds everything between the store and the listeners.
func (s *Server) setup() error {
	cfg := s.cfg
	cluster, created, err := ensureCluster(s.store, cfg, s.opts.Now())
	if err != nil {
		return err
	}
	s.cluster = cluster
	if created {
		s.log.Info("cluster configuration created", "cluster", cluster.Name, "authenticationMode", cluster.AuthenticationMode, "creator", cluster.CreatorARN)
	} else if creatorMismatch(cluster, cfg.ClusterCreatorARN) {
		s.log.Warn("configured cluster creator differs from the stored one; the stored one is kept",
			"stored", cluster.CreatorARN, "configured", cfg.ClusterCreatorARN)
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
	if s.mapper, err = NewMapper(s.store, resolveOpts); err != nil {
		return fmt.Errorf("read access entries: %w", err)
	}
	s.verifier, err = sts.NewVerifier(sts.VerifierConfig{
		ClusterID: cfg.ClusterID, Partition: cfg.Partition, Endpoint: cfg.STSEndpoint,
		Timeout: cfg.STSTimeout.Duration, Now: s.opts.Now,
	})
	if err != nil {
		return err
	}
	s.authn, err = authn.New(authn.Config{
		Verifier: s.verifier, Mapper: s.mapper, Log: s.decision, Metrics: s.metrics,
		Logger: s.log, Now: s.opts.Now, CacheSize: cfg.CacheSize,
	})
	if err != nil {
		return err
	}
	if err := s.setupSources(); err != nil {
		return err
	}
	if err := s.setupAPI(); err != nil {
		return err
	}
	if err := s.setupTLS(); err != nil {
		return err
	}
	s.checks = append(s.checks, func() Check {
		if err := s.mapper.StoreError(); err != nil {
			return Check{Name: "store", Ready: false, Detail: err.Error()}
		}
		return Check{Name: "store", Ready: true, Healthy: true}
	})
	return nil
}

func (s *Server) setupTLS() error {
	var err error
	if s.cfg.TLS.CertFile != "" {
		s.bundle, err = certs.LoadServing(s.cfg.TLS.CertFile, s.cfg.TLS.KeyFile, "")
	} else {
		s.bundle, err = certs.EnsureServing(filepath.Join(s.cfg.StateDir, tlsDir), servingHosts(s.cfg.Listen), s.opts.Now)
	}
	if err != nil {
		return fmt.Errorf("tls: %w", err)
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
	binder, _ := webhook.NewBinder(s.mustBindingKey())
	mux := http.NewServeMux()
	mux.Handle("/authenticate", &webhook.TokenReviewHandler{Auth: s.authn, Metrics: s.metrics, Binder: binder, Now: s.opts.Now})
	mux.Handle("/authorize", &webhook.SubjectAccessReviewHandler{Mapper: s.mapper, Binder: binder, Metrics: s.metrics, Logger: s.log, Now: s.opts.Now})
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/livez", healthz)
	mux.Handle("/readyz", readyz(s.checks))
	mux.Handle("/metrics", s.metrics.Handler())
	s.mountAPI(mux)
	s.mountAdmission(mux)
	return mux
}

func (s *Server) mustBindingKey() []byte {
	key, err := bindingKey(s.cfg.StateDir)
	if err != nil {
		// The binding key was created in serve before the handler is
		// built; reaching here means the state directory broke since.
		s.log.Error("binding key unavailable; access policies disabled", "error", err)
		return nil
	}
	return key
}

// serve listens, writes the webhook kubeconfigs, and serves until ctx ends.
func (s *Server) serve(ctx context.Context) error {
	if _, err := bindingKey(s.cfg.StateDir); err != nil {
		return err
	}
	tlsCfg, err := s.bundle.TLSConfig()
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	ln, err := listen(s.cfg.Listen, "--listen")
	if err != nil {
		return err
	}
	s.ln = ln
	if s.opts.LocalSTS != nil {
		s.awsLn = s.opts.AWSListener
	}
	if err := s.writeKubeconfigs(); err != nil {
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

// writeKubeconfigs writes the kubeconfigs kube-apiserver's
// --authentication-token-webhook-config-file and
// --authorization-webhook-config-file point at.
func (s *Server) writeKubeconfigs() error {
	for file, path := range map[string]string{authnKubeconfig: "/authenticate", authzKubeconfig: "/authorize"} {
		if err := certs.WriteWebhookKubeconfig(filepath.Join(s.cfg.StateDir, file), s.URL(path), s.bundle.CAPEM); err != nil {
			return fmt.Errorf("write webhook kubeconfig: %w", err)
		}
	}
	return nil
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

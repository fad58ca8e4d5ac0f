// Package api serves kubeiam's access-management API: the EKS REST routes
// and JSON for one cluster (ListClusters, DescribeCluster,
// UpdateClusterConfig with DescribeUpdate and ListUpdates, the access entry
// and access policy operations, and tagging), so that the AWS CLI v2, the
// AWS SDKs and their waiters, infrastructure-as-code tools and
// "kubeiam access-entry" work against it unchanged.
//
// Every request goes through the same pipeline: route, read the body
// (bounded), authenticate, authorize, check the cluster name, then a thin
// operation handler (decode, validate, call the store, render). Every call,
// refused or not, is counted, logged ("api call") and written as one JSON
// line to the audit writer, which answers "who changed access".
package api

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/store"
)

// MaxBodyBytes is the largest request body the API reads; EKS requests are
// a few hundred bytes.
const MaxBodyBytes = 64 << 10

// Config configures a Handler.
type Config struct {
	// Store holds the cluster configuration, entries and associations. Required.
	Store store.Port
	// Authenticator identifies callers. Required.
	Authenticator Authenticator
	// CreatorARN is the cluster creator, who may call every operation.
	// Empty: the creator recorded in the stored cluster configuration.
	CreatorARN string
	// Managers are further principals that may call every operation.
	// Matching is by arn.Key: a role listed here covers all its sessions.
	Managers []string
	// Metrics, when set, counts calls by operation and HTTP status.
	Metrics *metrics.Metrics
	// Logger receives one "api call" record per call; default discards.
	Logger *slog.Logger
	// Audit, when set, receives one JSON line per call (see AuditRecord).
	Audit io.Writer
	// Now is the clock for timestamps; default time.Now.
	Now func() time.Time
	// KubernetesVersion is reported by DescribeCluster; optional.
	KubernetesVersion string
	// Endpoint is the Kubernetes API server URL DescribeCluster reports;
	// optional.
	Endpoint string
	// CertificateAuthority is the PEM of the CA that signs the API
	// server's certificate; DescribeCluster reports it base64-encoded in
	// certificateAuthority.data, as EKS does (EKS API reference, Cluster:
	// "certificateAuthority ... data: The Base64-encoded certificate data
	// required to communicate with your cluster"); optional.
	CertificateAuthority []byte
	// PrincipalIDs, when set, looks up the unique ID CreateAccessEntry
	// records with an entry (see bindPrincipalID); nil records none.
	PrincipalIDs PrincipalIDs
}

// Handler is the access-management API. It implements http.Handler, serves
// /clusters, /clusters/..., /access-policies and /tags/..., and is safe for
// concurrent use.
type Handler struct {
	store        store.Port
	auth         Authenticator
	creatorKey   string
	managers     map[string]bool
	metrics      *metrics.Metrics
	log          *slog.Logger
	now          func() time.Time
	version      string
	endpoint     string
	caPEM        []byte
	routes       []pattern
	principalIDs PrincipalIDs

	auditMu sync.Mutex
	audit   io.Writer
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: Config.Store is required")
	}
	if cfg.Authenticator == nil {
		return nil, errors.New("api: Config.Authenticator is required")
	}
	h := &Handler{
		store: cfg.Store, auth: cfg.Authenticator, managers: map[string]bool{},
		metrics: cfg.Metrics, log: cfg.Logger, now: cfg.Now, audit: cfg.Audit,
		version: cfg.KubernetesVersion, endpoint: cfg.Endpoint, caPEM: cfg.CertificateAuthority, routes: newRoutes(),
		principalIDs: cfg.PrincipalIDs,
	}
	if cfg.CreatorARN != "" {
		k, err := arn.Key(cfg.CreatorARN)
		if err != nil {
			return nil, fmt.Errorf("api: creator ARN: %w", err)
		}
		h.creatorKey = k
	}
	for _, m := range cfg.Managers {
		k, err := arn.Key(m)
		if err != nil {
			return nil, fmt.Errorf("api: manager ARN: %w", err)
		}
		h.managers[k] = true
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// call is one API request on its way through the pipeline; handlers fill
// in the audit fields (principal, policy) as they learn them.
type call struct {
	r         *http.Request
	op        *operation
	params    []string // unescaped path parameters: cluster name, principal, policy
	body      []byte
	caller    identity.Identity
	cluster   string
	principal string
	policy    string
	requestID string
}

// ServeHTTP runs one call through the pipeline and renders its result.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	c := &call{r: r, requestID: rand.Text()}
	w.Header().Set("X-Amzn-Requestid", c.requestID)
	result, err := h.serve(w, c)
	status, errType, message := http.StatusOK, "", ""
	if err != nil {
		e := h.toAPIError(c, err)
		status, errType, message = e.Status, e.Type, e.Message
		writeError(w, e)
	} else {
		writeJSON(w, http.StatusOK, result)
	}
	h.record(c, start, status, errType, message)
}

func (h *Handler) serve(w http.ResponseWriter, c *call) (any, error) {
	op, params, err := route(h.routes, c.r.Method, c.r.URL.EscapedPath())
	c.op, c.params = op, params
	if err != nil {
		return nil, err
	}
	if op.clusterScoped {
		c.cluster = params[0]
		if len(params) > 1 {
			c.principal = params[1]
		}
		if len(params) > 2 {
			c.policy = params[2]
		}
	}
	if c.body, err = readBody(w, c.r); err != nil {
		return nil, err
	}
	if c.caller, err = h.auth.Authenticate(c.r); err != nil {
		return nil, err
	}
	if err := h.authorize(c); err != nil {
		return nil, err
	}
	return op.handle(h, c)
}

// readBody reads the body, bounded by MaxBodyBytes, and puts it back for
// the authenticator, which hashes it.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Type: TypeRequestEntityTooLarge,
				Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
		}
		return nil, invalidParameter("The request body could not be read.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// authorize lets the creator and the managers call everything, and any
// authenticated caller call the operations marked public.
func (h *Handler) authorize(c *call) error {
	if c.op.public || h.isManager(c.caller) {
		return nil
	}
	return &Error{Status: http.StatusForbidden, Type: TypeAccessDenied,
		Message: fmt.Sprintf("User: %s is not authorized to perform: eks:%s on resource: %s",
			c.caller.ARN, c.op.name, h.resourceARN(c.cluster))}
}

func (h *Handler) isManager(id identity.Identity) bool {
	key := id.Principal.Key()
	if key == "" {
		return false
	}
	if h.managers[key] {
		return true
	}
	creator := h.creatorKey
	if creator == "" {
		if cfg, err := h.store.GetCluster(); err == nil {
			creator, _ = arn.Key(cfg.CreatorARN)
		}
	}
	return creator != "" && creator == key
}

// resourceARN names the cluster in an AccessDeniedException, as IAM does.
func (h *Handler) resourceARN(name string) string {
	cfg, err := h.store.GetCluster()
	if name == "" {
		return "*"
	}
	if err != nil {
		return "cluster/" + name
	}
	cfg.Name = name
	return cfg.ARN()
}

// trimPath drops a trailing slash, which the SDKs never send but people do.
func trimPath(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

// Package diag serves kubeiam's diagnosis endpoints on the server:
//
//	GET  /kubeiam/v1/decisions  the decision log, filtered; follow=1 streams NDJSON
//	POST /kubeiam/v1/whoami     who the bearer token's holder is, even when kubectl cannot authenticate
//	POST /kubeiam/v1/explain    why an ARN is or is not let in, against the live snapshot
//
// Decisions and explain are for cluster managers, authenticated as the
// access-management API authenticates (an API-audience token or SigV4);
// whoami answers the holder of the cluster token it is sent, evaluated as
// kube-apiserver's TokenReview would. The handlers are thin: decode, check,
// call, render.
package diag

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/token"
)

// The paths the handler serves.
const (
	PathDecisions = "/kubeiam/v1/decisions"
	PathWhoami    = "/kubeiam/v1/whoami"
	PathExplain   = "/kubeiam/v1/explain"
)

// DecisionLog is what the decisions endpoint reads: *decisionlog.Log.
type DecisionLog interface {
	Query(f decisionlog.Filter, limit int) []decisionlog.Record
	Changed() <-chan struct{}
}

// Authenticator identifies the caller of a manager endpoint (api.Authenticator:
// SigV4 or a bearer token). An error means the caller is not authenticated.
type Authenticator interface {
	Authenticate(r *http.Request) (identity.Identity, error)
}

// TokenAuthenticator decides for one k8s-aws-v1 token (*authn.Service). An
// unauthenticated token is an Outcome, not an error.
type TokenAuthenticator interface {
	Authenticate(ctx context.Context, req authn.Request) authn.Outcome
}

// Snapshotter returns the mapping snapshot in force (*server.Mapper).
type Snapshotter interface {
	Snapshot() *resolve.Snapshot
}

// Config assembles the handler.
type Config struct {
	// Decisions, Tokens and Snapshots are required.
	Decisions DecisionLog
	Tokens    TokenAuthenticator
	Snapshots Snapshotter
	// Managers authenticates callers of decisions and explain, and
	// IsManager says who among them may call those. Without both, those
	// endpoints answer 403 to everyone.
	Managers  Authenticator
	IsManager func(identity.Identity) bool
	// ResolveOptions are the options the server resolves with, so that
	// explain's verdict is the one the next TokenReview gets.
	ResolveOptions resolve.Options
	// RejectedAWSAuth returns the aws-auth versions the server refused
	// while the last good one stays in force; nil means none.
	RejectedAWSAuth func() []explain.RejectedAWSAuth
	// AWSAuthFile is the aws-auth file the server watches, when it reads
	// one: explain's aws-auth fixes then edit it.
	AWSAuthFile string
	// ClusterName and EndpointURL go into explain's fix commands.
	ClusterName string
	EndpointURL string
	// CreatorHint makes whoami name the cluster creator to a caller STS
	// verified but nothing maps, so that "kubeiam doctor" can say who is
	// expected. Off by default: the creator's ARN is account information.
	CreatorHint bool
	// Now is the clock; default time.Now. Logger defaults to discarding.
	Now    func() time.Time
	Logger *slog.Logger
}

type handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the handler of the three endpoints. Mount it on the paths
// above (or on "/kubeiam/v1/").
func New(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET "+PathDecisions, h.manager(h.decisions))
	h.mux.HandleFunc("POST "+PathWhoami, h.whoami)
	h.mux.HandleFunc("POST "+PathExplain, h.manager(h.explain))
	return h
}

func (h *handler) rejected() []explain.RejectedAWSAuth {
	if h.cfg.RejectedAWSAuth == nil {
		return nil
	}
	return h.cfg.RejectedAWSAuth()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Error is the body of every failure: a terse public message.
type Error struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, Error{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// manager wraps a handler with the manager check. The cause of a refusal
// goes to the log; the caller learns only 401 or 403.
func (h *handler) manager(next func(http.ResponseWriter, *http.Request, identity.Identity)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.Managers == nil || h.cfg.IsManager == nil {
			writeError(w, http.StatusForbidden, "diagnosis endpoints are not enabled")
			return
		}
		id, err := h.cfg.Managers.Authenticate(r)
		if err != nil {
			h.cfg.Logger.Info("diagnosis request refused", "path", r.URL.Path, "client", r.RemoteAddr, "error", err)
			w.Header().Set("WWW-Authenticate", `Bearer realm="kubeiam"`)
			msg := "not authenticated"
			if errors.Is(err, token.ErrClusterToken) {
				// Decisions and explain are API-plane: they take API tokens.
				msg += `: this endpoint takes a token for the access-management API ("kubeiam token --audience api"), not the cluster token kubectl sends`
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		if !h.cfg.IsManager(id) {
			h.cfg.Logger.Info("diagnosis request refused", "path", r.URL.Path, "client", r.RemoteAddr, "arn", id.ARN, "error", "not a cluster manager")
			writeError(w, http.StatusForbidden, id.ARN+" is not a cluster manager")
			return
		}
		next(w, r, id)
	}
}

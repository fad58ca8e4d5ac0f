// Package authn turns a bearer token into an authentication decision: it
// verifies the token (through a cache and STS), resolves the identity
// against the current mappings, and records, logs and counts the decision.
// It is the orchestration between the pure packages and the adapters; the
// HTTP handlers in package webhook stay thin on top of it.
package authn

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
)

// Verifier checks tokens: Check does the local checks only, and
// VerifyValidated asks STS about a token Check accepted, without checking it
// again. A token that is not valid is an error from both.
type Verifier interface {
	Check(tok string) (token.Validated, error)
	VerifyValidated(ctx context.Context, tok token.Validated) (identity.Identity, error)
}

// Mapper resolves a verified identity against the mappings in force now.
// It must be cheap and safe for concurrent use: it runs on every request,
// cached or not, so a changed mapping is never served stale.
type Mapper interface {
	Resolve(id identity.Identity) resolve.Result
}

// Request is one token to authenticate, with where it came from for the log.
type Request struct {
	Token string
	// Client is the remote address (host:port), for the log.
	Client string
	// ClientID, when set, is the caller's verified identity (its client
	// certificate); the STS rate limit counts by it, else by Client's host.
	ClientID string
	Method   string
	Path     string
}

// Outcome is the decision for one token. An unauthenticated caller is an
// Outcome with Authenticated false, not an error.
type Outcome struct {
	Authenticated bool
	// Identity is the verified identity, nil when the token was not
	// verified. It may be shared with the identity cache: read only.
	Identity *identity.Identity
	Result   resolve.Result
	// UID is kubeiam:<account>:<userID>.
	UID string
	// Class is the metrics result: granted, denied, invalid, expired,
	// throttled, rate-limited or unavailable.
	Class string
	// PublicError is the reason the API server (and so the user) may see.
	PublicError string
	// Err is the underlying failure, for the log only.
	Err       error
	Cached    bool
	TokenHash string
}

// Config assembles a Service.
type Config struct {
	Verifier  Verifier
	Mapper    Mapper
	Log       *decisionlog.Log
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
	Now       func() time.Time
	CacheSize int // verified identities kept; default 10000
	// CacheTTL bounds how long a verified identity is served without
	// asking STS again, so that a key or session revoked at STS stops
	// working within CacheTTL (plus kube-apiserver's own token cache). An
	// entry never outlives its token. Default DefaultCacheTTL.
	CacheTTL time.Duration
	// RateLimit limits STS calls per client; zero turns it off.
	RateLimit RateLimit
	// ClusterID is the ID the verifier sends as x-k8s-aws-id, named in the
	// reason of a token minted for another cluster ID.
	ClusterID string
}

// DefaultCacheTTL is half of kube-apiserver's default 2-minute webhook
// token cache (--authentication-token-webhook-cache-ttl).
const DefaultCacheTTL = time.Minute

// NegativeCacheTTL is how long STS's rejection of one exact token (by its
// SHA-256) is remembered. A rejected signature never becomes valid, so
// retries of the same garbage token (kube-apiserver and kubectl both retry)
// cost no STS call; it is short because STS also rejects a token signed
// with an access key created seconds ago that has not yet propagated.
const NegativeCacheTTL = 10 * time.Second

// Service authenticates tokens. It is safe for concurrent use.
type Service struct {
	cfg     Config
	cache   *cache
	group   flightGroup
	limiter *limiter
}

// New returns a Service; Verifier and Mapper are required.
func New(cfg Config) (*Service, error) {
	if cfg.Verifier == nil || cfg.Mapper == nil {
		return nil, errors.New("authn: verifier and mapper are required")
	}
	if cfg.Log == nil {
		cfg.Log = decisionlog.New(1000)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.New()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	return &Service{cfg: cfg, cache: newCache(cfg.CacheSize), limiter: newLimiter(cfg.RateLimit)}, nil
}

// TokenHash returns the first 12 hex digits of the token's SHA-256: the only
// form in which a token is ever logged.
func TokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:6])
}

// Authenticate decides for one token.
func (s *Service) Authenticate(ctx context.Context, req Request) Outcome {
	sum := sha256.Sum256([]byte(req.Token))
	out := Outcome{TokenHash: hex.EncodeToString(sum[:6])}
	id, cached, err := s.identity(ctx, sum, req)
	out.Cached = cached
	if err != nil {
		s.fail(&out, err)
	} else {
		out.Identity = id
		out.Result = s.cfg.Mapper.Resolve(*id)
		out.UID = "kubeiam:" + id.AccountID + ":" + id.UserID
		if out.Result.Mapped {
			out.Authenticated, out.Class = true, "granted"
		} else {
			out.Class, out.PublicError = "denied", out.Result.Reason
		}
	}
	s.record(req, out)
	return out
}

// identity returns the verified identity for a token: from the cache while
// the entry lives, otherwise from STS, with identical concurrent tokens
// sharing one STS call and each client's STS calls rate-limited.
//
// A cached identity is returned as a pointer into its cache entry, which is
// never modified (see cache.get), so the warm path copies nothing.
func (s *Service) identity(ctx context.Context, sum [32]byte, r Request) (*identity.Identity, bool, error) {
	now := s.cfg.Now()
	if e, ok := s.cache.get(sum, now); ok {
		if e.err != nil {
			s.cfg.Metrics.CacheLookups.WithLabelValues("negative-hit").Inc()
			return nil, true, e.err
		}
		s.cfg.Metrics.CacheLookups.WithLabelValues("hit").Inc()
		return &e.id, true, nil
	}
	// Local checks first: a malformed or expired token never reaches STS
	// nor occupies a flight.
	val, err := s.cfg.Verifier.Check(r.Token)
	if err != nil {
		return nil, false, err
	}
	id, shared, err := s.group.do(sum, func() (identity.Identity, error) {
		if !s.limiter.allow(clientKey(r), s.cfg.Now()) {
			s.cfg.Metrics.RateLimited.Inc()
			return identity.Identity{}, ErrRateLimited
		}
		return s.verify(ctx, sum, val)
	})
	if shared {
		s.cfg.Metrics.CacheLookups.WithLabelValues("shared").Inc()
	} else {
		s.cfg.Metrics.CacheLookups.WithLabelValues("miss").Inc()
	}
	if err != nil {
		return nil, false, err
	}
	return &id, false, nil
}

// verify asks STS and caches the answer: an identity for the cache TTL, a
// rejection of the signature for NegativeCacheTTL, never beyond the token's
// expiry. Throttling and outages are not cached.
func (s *Service) verify(ctx context.Context, sum [32]byte, val token.Validated) (identity.Identity, error) {
	req := val.Request()
	start := s.cfg.Now()
	// The flight outlives any one caller: a caller that gives up must
	// not fail the others waiting on the same STS call. The verifier
	// has its own timeout.
	id, err := s.cfg.Verifier.VerifyValidated(context.WithoutCancel(ctx), val)
	end := s.cfg.Now()
	class := sts.Classify(err)
	s.cfg.Metrics.STSCalls.WithLabelValues(class, req.Region).Inc()
	s.cfg.Metrics.STSLatency.WithLabelValues(req.Region).Observe(end.Sub(start).Seconds())
	switch {
	case err == nil:
		s.cache.put(sum, id, earliest(end.Add(s.cfg.CacheTTL), req.Expiry()))
	case class == sts.OutcomeRejected:
		s.cache.putNegative(sum, err, earliest(end.Add(NegativeCacheTTL), req.Expiry()))
	}
	return id, err
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// fail fills out for a token that could not be verified.
func (s *Service) fail(out *Outcome, err error) {
	out.Err = err
	if errors.Is(err, ErrRateLimited) {
		out.Class, out.Result.Code, out.PublicError = "rate-limited", resolve.CodeSTSThrottled, ErrRateLimited.Error()
		out.Result.Reason = out.PublicError
		return
	}
	switch sts.Classify(err) {
	case "expired":
		out.Class, out.Result.Code, out.PublicError = "expired", resolve.CodeExpiredToken, "token expired"
		if errors.Is(err, token.ErrFromFuture) {
			// Not expired: a fresh token from the same machine is refused
			// the same way until its clock is right.
			out.PublicError = "token signed more than 5 minutes in the future: the clock of the machine that made it is ahead of this server's"
		}
	case "throttled":
		out.Class, out.Result.Code, out.PublicError = "throttled", resolve.CodeSTSThrottled, "sts getCallerIdentity failed: throttled, retry later"
	case "unavailable":
		out.Class, out.Result.Code, out.PublicError = "unavailable", resolve.CodeSTSUnavailable, "sts getCallerIdentity failed: STS unavailable"
	case "rejected":
		out.Class, out.Result.Code, out.PublicError = "invalid", resolve.CodeSTSRejected, publicReason(err)
		if wrongClusterID(err) {
			out.Result.Code, out.PublicError = resolve.CodeWrongClusterID, s.wrongClusterReason()
			out.Err = fmt.Errorf("%s: %w", out.PublicError, err)
		}
	default:
		out.Class, out.Result.Code, out.PublicError = "invalid", resolve.CodeInvalidToken, publicReason(err)
	}
	out.Result.Reason = out.PublicError
}

// wrongClusterID recognizes STS's answer to a token whose signed
// x-k8s-aws-id is not this cluster's ID.
func wrongClusterID(err error) bool {
	var e *sts.STSError
	return errors.As(err, &e) && e.Code == "SignatureDoesNotMatch"
}

func (s *Service) wrongClusterReason() string {
	id := s.cfg.ClusterID
	if id == "" {
		id = "CLUSTER_ID"
	}
	return fmt.Sprintf("token minted for another cluster ID: this cluster's ID is %q, and STS answers SignatureDoesNotMatch "+
		"for a token signed for any other (or with a wrong secret access key); mint it for this cluster: "+
		"kubeiam token --cluster-id %s (aws eks get-token --cluster-name %s)", id, id, id)
}

// publicReason is the error text without anything secret. Validation and STS
// errors are written never to include the token, so their text is safe; it
// is trimmed to one line and a bounded length all the same.
func publicReason(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	return msg
}

// record logs, stores and counts one decision.
//
// The log line's attributes are built as slog.Attrs in one slice sized for
// the longest line, not as key-value pairs: the same attributes in the same
// order (slog turns a string value into a string Attr either way), so the
// lines are unchanged, without boxing each value and growing the slice on
// every request.
func (s *Service) record(req Request, out Outcome) {
	rec := decisionlog.Record{
		Time: s.cfg.Now(), Client: req.Client, Method: req.Method, Path: req.Path,
		TokenHash: out.TokenHash, Cached: out.Cached, Code: string(out.Result.Code), Notes: out.Result.Notes,
	}
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs, slog.String("client", req.Client), slog.String("method", req.Method),
		slog.String("path", req.Path), slog.String("tokenHash", out.TokenHash))
	if id := out.Identity; id != nil {
		// The uid is known once STS has answered, granted or not, and
		// lets a denial be traced to the same principal as its grants.
		rec.ARN, rec.CanonicalARN, rec.AccountID, rec.AccessKeyID = id.ARN, id.CanonicalARN, id.AccountID, id.AccessKeyID
		rec.UID = out.UID
		attrs = append(attrs, slog.String("arn", id.ARN), slog.String("accesskeyid", id.AccessKeyID), slog.String("uid", out.UID))
	}
	msg := decisionlog.MsgGranted
	if out.Authenticated {
		rec.Decision, rec.Username, rec.Groups = decisionlog.Granted, out.Result.Username, out.Result.Groups
		rec.Source = string(out.Result.Source)
		if len(out.Result.Grants) > 0 {
			rec.Policies = make([]string, len(out.Result.Grants))
			for i, g := range out.Result.Grants {
				rec.Policies[i] = g.PolicyARN
			}
		}
		attrs = append(attrs, slog.String("username", out.Result.Username), slog.Any("groups", out.Result.Groups),
			slog.String("source", out.Result.SourceDetail), slog.Any("policies", rec.Policies), slog.Bool("cached", out.Cached))
	} else {
		msg = decisionlog.MsgDenied
		rec.Decision, rec.Error = decisionlog.Denied, out.PublicError
		logErr := out.PublicError
		if out.Err != nil {
			logErr = out.Err.Error()
		}
		// The code is a resolve.Code, logged as slog.Any logs it (the
		// text handler formats it with %+v, the JSON handler marshals it).
		attrs = append(attrs, slog.Any("code", out.Result.Code), slog.String("error", logErr))
	}
	if len(out.Result.Notes) > 0 {
		attrs = append(attrs, slog.Any("notes", out.Result.Notes))
	}
	s.cfg.Logger.LogAttrs(context.Background(), slog.LevelInfo, msg, attrs...)
	s.cfg.Log.Add(rec)
}

// Package localsts is an STS-compatible HTTP server for offline development
// and for the tests of this project. It verifies AWS Signature Version 4 for
// real, in the Authorization header (what SDKs and the AWS CLI send) and in
// the query string (a presigned URL: the k8s-aws-v1 token), against
// identities read from a YAML config, and answers GetCallerIdentity and
// AssumeRole with STS's XML or JSON bodies and error codes, and IAM GetRole
// and GetUser (see iam.go) with the identities' unique IDs.
//
// It is a development tool, not a security boundary: secrets sit in its
// config and memory, and AssumeRole sessions last only until it stops.
package localsts

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/partition"
)

// MaxBodyBytes is the largest request body the server reads.
const MaxBodyBytes = 64 << 10

// DefaultMaxSessions is how many AssumeRole sessions are kept when
// Options.MaxSessions is zero.
const DefaultMaxSessions = 10000

// Options tune a Server. The zero value is usable.
type Options struct {
	// Now is the clock that checks X-Amz-Date and session expiry; default time.Now.
	Now func() time.Time
	// Logger receives one record per request; default discards. Secrets and
	// session tokens are never logged.
	Logger *slog.Logger
	// Rand is the source of session credentials and request IDs; default
	// crypto/rand.Reader.
	Rand io.Reader
	// MaxSessions bounds the sessions held in memory; default DefaultMaxSessions.
	MaxSessions int
}

// Server is a local STS. It implements http.Handler and is safe for
// concurrent use.
type Server struct {
	partition partition.Partition
	dir       *directory
	now       func() time.Time
	log       *slog.Logger
	rand      io.Reader
}

// New returns a server for the identities in cfg. cfg is validated (with
// defaults applied to a copy) and not retained.
func New(cfg *Config, opts Options) (*Server, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil config", ErrInvalidConfig)
	}
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	p, _ := partition.New().Lookup(c.Partition)
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dir, err := newDirectory(c, opts.MaxSessions, opts.Now().UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	s := &Server{partition: p, dir: dir, now: opts.Now, log: opts.Logger, rand: opts.Rand}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	s.rand = &lockedReader{r: s.rand}
	return s, nil
}

// Identity returns who GetCallerIdentity would say owns accessKeyID right
// now: an IAM user for a configured key, an assumed role for a live session.
// The error is an *APIError (InvalidClientTokenId, ExpiredToken).
func (s *Server) Identity(accessKeyID string) (identity.Identity, error) {
	c, ok := s.dir.users[accessKeyID]
	if !ok {
		s.dir.mu.Lock()
		c, ok = s.dir.sessions[accessKeyID]
		s.dir.mu.Unlock()
		if !ok {
			return identity.Identity{}, errInvalidClientTokenID()
		}
		if !s.now().Before(c.expires) {
			return identity.Identity{}, errExpiredToken()
		}
	}
	return identity.FromARN(c.arn, c.principal.Account, c.userID, c.accessKeyID)
}

// request is one parsed API call.
type request struct {
	id     string
	json   bool
	params url.Values // query and form body together
	// namespace is the XML namespace of the response: STS's or IAM's.
	namespace string
	caller    *caller
}

// ServeHTTP answers one STS API call: decode, authenticate, dispatch, render.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{id: s.requestID(), json: wantsJSON(r)}
	w.Header().Set("X-Amzn-Requestid", req.id)
	action, result, err := s.serve(w, r, req)
	attrs := []any{"request_id", req.id, "method", r.Method, "action", action, "client", r.RemoteAddr}
	if req.caller != nil {
		attrs = append(attrs, "arn", req.caller.arn, "access_key_id", req.caller.accessKeyID)
	}
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			s.log.Error("sts internal error", append(attrs, "error", err)...)
			apiErr = apiError(http.StatusInternalServerError, CodeInternalFailure, "An internal error occurred.")
		}
		s.log.Info("sts request refused", append(attrs, "status", apiErr.Status, "code", apiErr.Code, "error", apiErr.Message)...)
		writeError(w, req, apiErr)
		return
	}
	s.log.Info("sts request", append(attrs, "status", http.StatusOK)...)
	writeResult(w, req, action, result)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, req *request) (string, any, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return "", nil, apiError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The local STS answers GET and POST only.")
	}
	if r.URL.Path != "/" {
		return "", nil, apiError(http.StatusNotFound, CodeInvalidAction, "The local STS answers on / only.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", nil, apiError(http.StatusRequestEntityTooLarge, CodeRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes))
		}
		return "", nil, fmt.Errorf("read body: %w", err)
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return "", nil, errInvalidParameterValue("The query string is malformed.")
	}
	if req.params, err = params(r, query, body); err != nil {
		return "", nil, err
	}
	action := req.params.Get("Action")
	req.namespace = xmlNamespace
	if serviceOf(action) == iamServiceName {
		req.namespace = iamXMLNamespace
	}
	if req.caller, err = s.authenticate(r, query, body, serviceOf(action)); err != nil {
		return action, nil, err
	}
	result, err := s.dispatch(req)
	return action, result, err
}

// params merges the query with a form-encoded body.
func params(r *http.Request, query url.Values, body []byte) (url.Values, error) {
	out := url.Values{}
	for k, v := range query {
		out[k] = append(out[k], v...)
	}
	if len(body) == 0 {
		return out, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidParameterValue("The request body must be application/x-www-form-urlencoded.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errInvalidParameterValue("The request body is not well-formed form data.")
	}
	for k, v := range form {
		out[k] = append(out[k], v...)
	}
	return out, nil
}

// authenticate checks the request's SigV4 signature, cheapest checks first:
// syntax, credential scope, clock, key, session token, then the HMAC.
func (s *Server) authenticate(r *http.Request, query url.Values, body []byte, service string) (*caller, error) {
	sig, err := parseSignature(r, query)
	if err != nil {
		return nil, err
	}
	if err := s.checkScope(r.Host, sig, service); err != nil {
		return nil, err
	}
	now := s.now()
	if err := sig.checkTime(now); err != nil {
		return nil, err
	}
	c, err := s.dir.lookup(sig.accessKeyID, sig.securityToken, now)
	if err != nil {
		return nil, err
	}
	hashes, ok := payloadHashes(r, sig, body)
	if !ok {
		return nil, errSignatureDoesNotMatch(messageSignatureDoesNotMatch)
	}
	if !sig.verify(r, query, c.secret, hashes) {
		return nil, errSignatureDoesNotMatch(messageSignatureDoesNotMatch)
	}
	return c, nil
}

// checkScope checks the credential scope: the day of X-Amz-Date, the
// action's service (sts, or iam for GetRole and GetUser), and a region of
// the partition. When the request's Host is a real STS
// host (a presigned token forwarded with its Host kept), the region must be
// the one that host serves, as STS itself insists.
func (s *Server) checkScope(host string, sig signature, service string) error {
	if sig.scopeDate != sig.amzDate[:8] {
		return errSignatureDoesNotMatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			sig.scopeDate + "' != '" + sig.amzDate[:8] + "', from '" + sig.amzDate + "'.")
	}
	if sig.service != service {
		return errSignatureDoesNotMatch("Credential should be scoped to correct service: '" + service + "'.")
	}
	if !s.partition.HasRegion(sig.region) {
		return errSignatureDoesNotMatch("Credential should be scoped to a valid region.")
	}
	if ep, err := s.partition.ParseSTSHost(host); err == nil && ep.Region != sig.region {
		return errSignatureDoesNotMatch("Credential should be scoped to a valid region, not '" + sig.region + "'.")
	}
	return nil
}

// requestID returns a random UUID-shaped request ID.
func (s *Server) requestID() string {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "00000000-0000-4000-8000-000000000000"
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

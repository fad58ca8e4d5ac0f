// Package sts verifies k8s-aws-v1 tokens with AWS STS: it checks a token
// locally (internal/token), then sends its presigned GetCallerIdentity
// request to STS and turns the answer into an identity. The server, not
// the token, decides where the request goes and which cluster ID it
// carries; redirects are refused, time and answer size are bounded, and
// every failure carries its class (see Classify).
package sts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
)

// Defaults for VerifierConfig.
const (
	DefaultPartition        = "aws"
	DefaultTimeout          = 5 * time.Second
	DefaultMaxResponseBytes = 64 << 10
)

// VerifierConfig configures a Verifier. Zero values take the defaults.
type VerifierConfig struct {
	// ClusterID is this cluster's ID. It is sent to STS as the
	// x-k8s-aws-id header, so a token signed for another cluster fails
	// STS's signature check. Required.
	ClusterID string
	// Audience is the only audience accepted: the cluster (the zero value,
	// for the TokenReview webhook) or kubeiam's access-management API. A
	// token for the other is refused before any network call, and STS
	// would refuse it anyway: the x-k8s-aws-id sent differs (see
	// token.Audience).
	Audience token.Audience
	// Partition is the AWS partition whose STS endpoints tokens may name;
	// default "aws".
	Partition string
	// Endpoint optionally overrides where requests are sent, such as
	// http://127.0.0.1:4566 for an emulator or a VPC endpoint's URL. The
	// Host header stays the STS host the token was signed for, so the
	// signature still verifies. Only scheme and host[:port] are allowed;
	// plain http only to a loopback host unless AllowInsecureHTTP.
	Endpoint string
	// AllowInsecureHTTP lets Endpoint be plain http to any host
	// (--insecure-allow-http-sts-endpoint): see ErrPlainHTTP.
	AllowInsecureHTTP bool
	// Timeout bounds each call to STS; default 5s.
	Timeout time.Duration
	// MaxResponseBytes bounds the answer read from STS; default 64 KiB.
	MaxResponseBytes int64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTPClient is optional. It is copied, and the copy refuses
	// redirects whatever the original's CheckRedirect says. The default
	// client's transport is NewTransport(MaxConns): it honours HTTPS_PROXY
	// and NO_PROXY and keeps enough idle connections for the server's
	// concurrency.
	HTTPClient *http.Client
	// MaxConns is how many connections to STS the default transport keeps
	// open for reuse; default DefaultMaxConns. Ignored with HTTPClient.
	MaxConns int
}

// Verifier verifies tokens. It is safe for concurrent use.
type Verifier struct {
	binding   map[string]string // the headers sent to STS: x-k8s-aws-id and, for the API, the audience
	audience  token.Audience
	partition string
	validator token.Validator
	endpoint  *url.URL
	client    *http.Client
	timeout   time.Duration
	maxBody   int64
}

// errRedirect is returned by CheckRedirect: STS never redirects, and
// following one would send the presigned request, a bearer credential for
// the next 15 minutes, wherever the Location header says.
var errRedirect = errors.New("refusing to follow a redirect")

func refuseRedirect(*http.Request, []*http.Request) error { return errRedirect }

// NewVerifier checks cfg, applies its defaults and returns a Verifier.
// Errors name the offending field.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if err := checkClusterID(cfg.ClusterID); err != nil {
		return nil, fmt.Errorf("sts verifier: ClusterID: %w", err)
	}
	if cfg.Partition == "" {
		cfg.Partition = DefaultPartition
	}
	set := partition.New()
	p, ok := set.Lookup(cfg.Partition)
	if !ok {
		return nil, fmt.Errorf("sts verifier: Partition: unknown partition %q (known: %s)", cfg.Partition, strings.Join(set.IDs(), ", "))
	}
	var endpoint *url.URL
	if cfg.Endpoint != "" {
		var err error
		if endpoint, err = parseEndpoint(cfg.Endpoint, cfg.AllowInsecureHTTP); err != nil {
			return nil, fmt.Errorf("sts verifier: Endpoint: %w", err)
		}
	}
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("sts verifier: Timeout: %s is negative", cfg.Timeout)
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.MaxResponseBytes < 0:
		return nil, fmt.Errorf("sts verifier: MaxResponseBytes: %d is negative", cfg.MaxResponseBytes)
	case cfg.MaxResponseBytes == 0:
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var client http.Client
	if cfg.HTTPClient != nil {
		client = *cfg.HTTPClient
	} else {
		client.Transport = NewTransport(cfg.MaxConns)
	}
	client.CheckRedirect = refuseRedirect
	return &Verifier{
		binding:   cfg.Audience.Headers(cfg.ClusterID),
		audience:  cfg.Audience,
		partition: p.ID,
		validator: token.Validator{Partition: p, Now: cfg.Now, Audience: cfg.Audience},
		endpoint:  endpoint,
		client:    &client,
		timeout:   cfg.Timeout,
		maxBody:   cfg.MaxResponseBytes,
	}, nil
}

// checkClusterID accepts what can travel in an HTTP header unchanged.
func checkClusterID(id string) error {
	if id == "" {
		return errors.New("required")
	}
	if len(id) > 255 {
		return fmt.Errorf("%d characters, at most 255 allowed", len(id))
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return fmt.Errorf("%q has a space, control or non-ASCII character", id)
		}
	}
	return nil
}

// Validate runs the local checks only; see token.Validator.Validate.
func (v *Verifier) Validate(tok string) (token.Request, error) {
	return v.validator.Validate(tok)
}

// Check runs the local checks only and returns the token for
// VerifyValidated; see token.Validator.Check.
func (v *Verifier) Check(tok string) (token.Validated, error) {
	return v.validator.Check(tok)
}

// errNotChecked refuses a token.Validated that this verifier's checks did
// not produce: the zero value, or one checked for another audience or
// partition.
var errNotChecked = errors.New("sts verifier: token not checked for this verifier's audience and partition")

// Verify checks tok locally and, only if it passes, asks STS who signed
// it. A token STS refuses is an error of class ErrRejected; see Classify
// for every class. Errors never quote the token or its presigned URL.
func (v *Verifier) Verify(ctx context.Context, tok string) (identity.Identity, error) {
	val, err := v.Check(tok)
	if err != nil {
		return identity.Identity{}, err
	}
	return v.VerifyValidated(ctx, val)
}

// VerifyValidated asks STS who signed a token that Check accepted, without
// checking it again; it is Verify for a caller that has run Check first.
func (v *Verifier) VerifyValidated(ctx context.Context, val token.Validated) (identity.Identity, error) {
	if !val.CheckedFor(v.audience, v.partition) {
		return identity.Identity{}, errNotChecked
	}
	req := val.Request()
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	status, header, body, err := v.call(ctx, req)
	if err != nil {
		return identity.Identity{}, err
	}
	if status != http.StatusOK {
		f := parseFault(body, header)
		return identity.Identity{}, &STSError{StatusCode: status, Code: f.Code, Message: f.Message, RequestID: f.RequestID, class: classOf(status, f.Code)}
	}
	return v.identity(body, req)
}

// call sends the presigned request and reads at most maxBody bytes of the
// answer.
func (v *Verifier) call(ctx context.Context, req token.Request) (int, http.Header, []byte, error) {
	target := *req.URL
	if v.endpoint != nil {
		target.Scheme, target.Host = v.endpoint.Scheme, v.endpoint.Host
	}
	// where names the destination without the query, which is the token.
	where := target.Scheme + "://" + target.Host + "/"
	if v.endpoint != nil {
		where += " (for " + req.Endpoint.Host + ")"
	}
	// The request is made from an empty URL and given the parsed target:
	// formatting the target to parse it again cost a 2 KB string and a
	// parse of the whole signed query on every cold review.
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, "", nil)
	if err != nil {
		return 0, nil, nil, unavailable("building request for %s: %w", where, stripURL(err))
	}
	hr.URL = &target
	hr.Host = req.Endpoint.Host
	for name, value := range v.binding {
		hr.Header.Set(name, value)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "kubeiam")
	resp, err := v.client.Do(hr)
	if err != nil {
		err = stripURL(err)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return 0, nil, nil, unavailable("GET %s: no answer within %s: %w", where, v.timeout, err)
		}
		return 0, nil, nil, unavailable("GET %s: %w", where, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.maxBody+1))
	if err != nil {
		return 0, nil, nil, unavailable("reading answer from %s: %w", where, stripURL(err))
	}
	if int64(len(body)) > v.maxBody {
		return 0, nil, nil, unavailable("answer from %s longer than %d bytes", where, v.maxBody)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// stripURL removes the *url.Error layer, whose message quotes the whole
// presigned URL: a usable credential for the next 15 minutes.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// identity turns a successful answer into an Identity.
func (v *Verifier) identity(body []byte, req token.Request) (identity.Identity, error) {
	ci, err := parseIdentity(body)
	if err != nil {
		return identity.Identity{}, unavailable("malformed answer: %w", err)
	}
	if ci.Arn == "" || ci.UserID == "" {
		return identity.Identity{}, unavailable("answer without Arn or UserId")
	}
	id, err := identity.FromARN(ci.Arn, ci.Account, ci.UserID, req.AccessKeyID)
	if err != nil {
		return identity.Identity{}, &callError{class: ErrRejected, cause: fmt.Errorf("caller cannot authenticate: %w", err)}
	}
	if id.Principal.Partition != v.partition {
		return identity.Identity{}, &callError{class: ErrRejected, cause: fmt.Errorf("caller %s is not in partition %s", ci.Arn, v.partition)}
	}
	switch ci.Account {
	case "":
		id.AccountID = id.Principal.Account
	case id.Principal.Account:
	default:
		return identity.Identity{}, unavailable("inconsistent answer: account %q, ARN %s", clean(ci.Account, 20), ci.Arn)
	}
	return id, nil
}

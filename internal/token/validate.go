package token

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/partition"
)

// Time limits of a token.
const (
	// ServerValidity is how long after signing the server accepts a token,
	// whatever X-Amz-Expires says: EKS clients send X-Amz-Expires=60 yet
	// rely on tokens lasting 15 minutes, and STS honours that.
	ServerValidity = 15 * time.Minute
	// ClientValidity is the lifetime clients report (ExecCredential
	// expirationTimestamp): a minute short of ServerValidity so a cached
	// token is refreshed before the server refuses it.
	ClientValidity = 14 * time.Minute
	// MaxClockSkew is how far in the future a signing time may lie.
	MaxClockSkew = 5 * time.Minute
	// MaxExpires is the largest X-Amz-Expires accepted, in seconds.
	MaxExpires = 900
	// DateFormat is the layout of X-Amz-Date.
	DateFormat = "20060102T150405Z"
)

// Request is what a valid token says, as far as can be known without
// asking STS. Only STS can tell whether the signature is genuine.
type Request struct {
	// URL is the presigned URL, to be sent to STS as is.
	URL *url.URL
	// Endpoint is the STS endpoint the request was signed for.
	Endpoint partition.STSEndpoint
	// Region is the region of the credential scope.
	Region string
	// AccessKeyID is the access key that signed the request.
	AccessKeyID string
	// SignedAt is X-Amz-Date.
	SignedAt time.Time
	// ExpiresIn is X-Amz-Expires.
	ExpiresIn time.Duration
	// SignedHeaders are the lowercase names in X-Amz-SignedHeaders.
	SignedHeaders []string
	// Audience is what the token is for, as its signed headers say.
	Audience Audience
}

// Expiry returns the instant after which the server refuses the token.
func (r Request) Expiry() time.Time { return r.SignedAt.Add(ServerValidity) }

// ClientExpiry returns the expiry a client reports for a token signed at
// signedAt.
func ClientExpiry(signedAt time.Time) time.Time { return signedAt.Add(ClientValidity) }

// Validator checks tokens locally, before any network call.
type Validator struct {
	// Partition is the partition whose STS endpoints tokens may name.
	Partition partition.Partition
	// Now is the clock; it must be set.
	Now func() time.Time
	// Audience is the only audience accepted; the zero value is the
	// cluster's (see Audience).
	Audience Audience
}

// Validate decodes tok and checks, cheapest first, that it is a presigned
// STS GetCallerIdentity request of v.Partition signed within the validity
// window and bound to a cluster by a signed x-k8s-aws-id header. It fails
// closed: anything not explicitly allowed is refused. A token for another
// audience than v.Audience is refused with ErrAPIToken or ErrClusterToken.
// Every refusal
// satisfies errors.Is(err, ErrInvalidToken) and its specific sentinel; the
// time-window refusals also satisfy ErrExpired.
//
// The path must be exactly "/": every client (the AWS SDKs,
// aws-iam-authenticator, "aws eks get-token") signs "/", and accepting the
// empty path too would only widen what a token may look like.
func (v Validator) Validate(tok string) (Request, error) {
	if v.Now == nil {
		return Request{}, ErrNoClock
	}
	text, err := Decode(tok)
	if err != nil {
		return Request{}, err
	}
	u, ep, err := checkURL(text, v.Partition)
	if err != nil {
		return Request{}, err
	}
	params, err := parseQuery(u.RawQuery)
	if err != nil {
		return Request{}, err
	}
	r, err := checkParams(params, ep, v.Now())
	if err != nil {
		return Request{}, err
	}
	if r.Audience, err = checkAudience(r.SignedHeaders, v.Audience); err != nil {
		return Request{}, err
	}
	r.URL, r.Endpoint = u, ep
	return r, nil
}

// checkURL checks everything about the URL but its query.
func checkURL(text string, p partition.Partition) (*url.URL, partition.STSEndpoint, error) {
	var none partition.STSEndpoint
	for i := 0; i < len(text); i++ {
		if text[i] < 0x21 || text[i] > 0x7e {
			return nil, none, fmt.Errorf("%w: space, control or non-ASCII byte at offset %d", ErrMalformedURL, i)
		}
	}
	u, err := url.Parse(text)
	if err != nil {
		// url.Error would quote the whole URL, signature and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, none, fmt.Errorf("%w: %w", ErrMalformedURL, err)
	}
	// url.Parse lowercases the scheme; the text must already be lowercase.
	if u.Scheme != "https" || !strings.HasPrefix(text, "https:") {
		return nil, none, ErrScheme
	}
	if u.Opaque != "" {
		return nil, none, ErrOpaque
	}
	if u.User != nil {
		return nil, none, ErrUserinfo
	}
	if u.Port() != "" || strings.HasSuffix(u.Host, ":") {
		return nil, none, ErrPort
	}
	if strings.Contains(text, "#") {
		return nil, none, ErrFragment
	}
	ep, err := p.ParseSTSHost(u.Host)
	if err != nil {
		return nil, none, fmt.Errorf("%w: %w", ErrHost, err)
	}
	if u.Path != "/" || u.RawPath != "" {
		return nil, none, ErrPath
	}
	return u, ep, nil
}

// checkParams checks the query parameters, cheapest first, and returns
// the Request they describe (without URL and Endpoint).
func checkParams(q map[string]string, ep partition.STSEndpoint, now time.Time) (Request, error) {
	for _, name := range [...]string{"Action", "X-Amz-Algorithm", "X-Amz-SignedHeaders", "X-Amz-Expires", "X-Amz-Date", "X-Amz-Credential", "X-Amz-Signature"} {
		if _, ok := q[name]; !ok {
			return Request{}, fmt.Errorf("%w: %s", ErrMissingParameter, name)
		}
	}
	if q["Action"] != "GetCallerIdentity" {
		return Request{}, fmt.Errorf("%w: %s", ErrAction, quoteName(q["Action"]))
	}
	if v, ok := q["Version"]; ok && v != "2011-06-15" {
		return Request{}, fmt.Errorf("%w: %s", ErrVersion, quoteName(v))
	}
	if q["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256" {
		return Request{}, fmt.Errorf("%w: %s", ErrAlgorithm, quoteName(q["X-Amz-Algorithm"]))
	}
	var r Request
	var err error
	if r.SignedHeaders, err = parseSignedHeaders(q["X-Amz-SignedHeaders"]); err != nil {
		return Request{}, err
	}
	if r.ExpiresIn, err = parseExpires(q["X-Amz-Expires"]); err != nil {
		return Request{}, err
	}
	if r.SignedAt, err = parseDate(q["X-Amz-Date"], now); err != nil {
		return Request{}, err
	}
	if r.AccessKeyID, r.Region, err = parseCredential(q["X-Amz-Credential"], q["X-Amz-Date"], ep); err != nil {
		return Request{}, err
	}
	if !isLowerHex(q["X-Amz-Signature"], 64) {
		return Request{}, ErrSignature
	}
	return r, nil
}

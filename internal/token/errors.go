package token

import "errors"

// ErrInvalidToken is the class of every reason a token is refused before
// any network call. Each check below fails with its own sentinel, and every
// one of them satisfies errors.Is(err, ErrInvalidToken).
var ErrInvalidToken = errors.New("invalid token")

// ErrExpired is the class of the time-window checks: the token was signed
// too long ago, or so far in the future that a clock must be wrong. It
// satisfies errors.Is(err, ErrInvalidToken).
var ErrExpired = &tokenError{msg: "token outside its validity window", class: ErrInvalidToken}

// The reasons Decode and Validate refuse a token, cheapest check first.
// Errors are returned wrapped with detail; compare with errors.Is.
var (
	ErrTooLong            = invalid("token longer than 4096 characters")
	ErrPrefix             = invalid(`token does not begin with "k8s-aws-v1."`)
	ErrEncoding           = invalid("token is not unpadded base64url")
	ErrMalformedURL       = invalid("token is not a well-formed URL")
	ErrScheme             = invalid(`URL scheme is not "https"`)
	ErrOpaque             = invalid("URL is opaque")
	ErrUserinfo           = invalid("URL has user information")
	ErrPort               = invalid("URL has a port")
	ErrFragment           = invalid("URL has a fragment")
	ErrHost               = invalid("URL host is not an STS endpoint of this partition")
	ErrPath               = invalid(`URL path is not "/"`)
	ErrMalformedQuery     = invalid("URL query is malformed")
	ErrMultiValued        = invalid("query parameter given more than once")
	ErrDuplicateParameter = invalid("query parameter given twice in different letter case")
	ErrParameterCase      = invalid("query parameter name in the wrong letter case")
	ErrUnknownParameter   = invalid("query parameter not allowed")
	ErrMissingParameter   = invalid("required query parameter missing")
	ErrAction             = invalid("action is not GetCallerIdentity")
	ErrVersion            = invalid("API version is not 2011-06-15")
	ErrAlgorithm          = invalid("signing algorithm is not AWS4-HMAC-SHA256")
	ErrSignedHeaders      = invalid("signed headers do not include host and x-k8s-aws-id")
	ErrExpires            = invalid("X-Amz-Expires is not an integer from 0 to 900")
	ErrDate               = invalid("X-Amz-Date is not a timestamp like 20060102T150405Z")
	ErrTooOld             = &tokenError{msg: "token signed more than 15 minutes ago", class: ErrExpired}
	ErrFromFuture         = &tokenError{msg: "token signed more than 5 minutes in the future", class: ErrExpired}
	ErrCredential         = invalid("X-Amz-Credential is not AKID/DATE/REGION/sts/aws4_request")
	ErrCredentialDate     = invalid("X-Amz-Credential date is not the day of X-Amz-Date")
	ErrCredentialRegion   = invalid("X-Amz-Credential region does not match the STS host")
	ErrSignature          = invalid("X-Amz-Signature is not 64 lowercase hex digits")
	ErrAPIToken           = invalid(`token is for kubeiam's access-management API, not for the cluster: use a token from "kubeiam token" without --audience api`)
	ErrClusterToken       = invalid(`token is for the cluster (kubectl), not for kubeiam's access-management API: mint one with "kubeiam token --audience api", or upgrade the kubeiam CLI, whose commands do`)
	ErrNoClock            = errors.New("token validator has no clock")
)

// tokenError is a sentinel that belongs to a broader class, so callers can
// test for the precise reason or for the class alone.
type tokenError struct {
	msg   string
	class error
}

func (e *tokenError) Error() string { return e.msg }
func (e *tokenError) Unwrap() error { return e.class }

func invalid(msg string) error { return &tokenError{msg: msg, class: ErrInvalidToken} }

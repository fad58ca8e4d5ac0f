package sts

import (
	"errors"
	"fmt"

	"github.com/kubeiam/kubeiam/internal/token"
)

// The classes of failure. Every error Verify returns satisfies exactly one
// of them (ErrExpired also satisfies ErrInvalidToken).
var (
	// ErrInvalidToken: the token failed a local check; STS was not asked.
	// It is token.ErrInvalidToken, so errors.Is works with either name.
	ErrInvalidToken = token.ErrInvalidToken
	// ErrExpired: the token is outside its validity window; STS was not
	// asked. It is token.ErrExpired.
	ErrExpired = token.ErrExpired
	// ErrRejected: STS answered that the request is not valid (4xx:
	// SignatureDoesNotMatch, InvalidClientTokenId, ExpiredToken,
	// AccessDenied, ...), or named a principal kubeiam cannot accept. The
	// token is invalid; retrying will not help.
	ErrRejected = errors.New("rejected by sts")
	// ErrThrottled: STS is rate limiting (HTTP 429 or a throttling error
	// code). The webhook answers 429 so the client retries later.
	ErrThrottled = errors.New("throttled by sts")
	// ErrUnavailable: no usable answer from STS (network error, timeout,
	// redirect, 5xx, oversized or malformed response). Nothing is known
	// about the token.
	ErrUnavailable = errors.New("sts unavailable")
)

// errPrefix begins every error about the call to STS; decision logs are
// queried for it.
const errPrefix = "sts getCallerIdentity failed: "

// STSError is an error answer from STS. Reach it with errors.As; it also
// satisfies errors.Is for its class (ErrRejected, ErrThrottled or
// ErrUnavailable).
type STSError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is STS's error code, such as "SignatureDoesNotMatch"; empty when
	// the body carried none.
	Code string
	// Message is STS's explanation, shortened and stripped of control
	// characters.
	Message string
	// RequestID is STS's request ID, for AWS support; may be empty.
	RequestID string

	class error
}

// Error reads "sts getCallerIdentity failed: CODE: MESSAGE (HTTP STATUS)".
func (e *STSError) Error() string {
	s := errPrefix
	if e.Code != "" {
		s += e.Code + ": "
	}
	if e.Message != "" {
		s += e.Message + " "
	}
	return s + fmt.Sprintf("(HTTP %d)", e.StatusCode)
}

// Unwrap returns the error's class.
func (e *STSError) Unwrap() error { return e.class }

// callError is a failure to get an answer from STS: it carries its class
// and the cause, which never quotes the presigned URL.
type callError struct {
	class error
	cause error
}

func (e *callError) Error() string   { return errPrefix + e.cause.Error() }
func (e *callError) Unwrap() []error { return []error{e.class, e.cause} }

func unavailable(format string, args ...any) error {
	return &callError{class: ErrUnavailable, cause: fmt.Errorf(format, args...)}
}

// Outcome classes returned by Classify, used as metric labels.
const (
	OutcomeOK          = "ok"
	OutcomeInvalid     = "invalid"
	OutcomeExpired     = "expired"
	OutcomeThrottled   = "throttled"
	OutcomeUnavailable = "unavailable"
	OutcomeRejected    = "rejected"
)

// Classify returns the outcome class of an error from Verify or Validate:
// "ok" for nil, then "expired", "invalid", "throttled", "rejected" or
// "unavailable". An error of no known class counts as "unavailable": it
// is a failure to decide, not a verdict on the token.
func Classify(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrExpired):
		return OutcomeExpired
	case errors.Is(err, ErrInvalidToken):
		return OutcomeInvalid
	case errors.Is(err, ErrThrottled):
		return OutcomeThrottled
	case errors.Is(err, ErrRejected):
		return OutcomeRejected
	default:
		return OutcomeUnavailable
	}
}

package ec2dns

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// The classes of failure. Every error Lookup returns satisfies exactly one
// of them. All but ErrInvalidInstanceID also satisfy
// awsauth.ErrEC2DNSUnavailable, so that the resolver's denial carries the
// reason code EC2_PRIVATE_DNS_UNAVAILABLE and says which of them happened.
var (
	// ErrInvalidInstanceID: the argument is not an instance ID (or the
	// caller's role session name is not one); EC2 was not asked.
	ErrInvalidInstanceID = errors.New("not an EC2 instance ID")
	// ErrNotFound: EC2 does not know the instance, or the instance has no
	// private DNS name. Cached for the negative TTL.
	ErrNotFound = errors.New("instance not found")
	// ErrThrottled: EC2 is rate limiting (RequestLimitExceeded, HTTP 429).
	// Not cached: the next lookup asks again.
	ErrThrottled = errors.New("throttled")
	// ErrUnavailable: no usable answer (network error, timeout, 5xx,
	// access denied to DescribeInstances, malformed answer). Not cached.
	ErrUnavailable = errors.New("unavailable")
)

// Outcomes returned by Classify, used as metric labels.
const (
	OutcomeOK          = "ok"
	OutcomeInvalid     = "invalid"
	OutcomeNotFound    = "not_found"
	OutcomeThrottled   = "throttled"
	OutcomeUnavailable = "unavailable"
)

// Classify returns the outcome class of an error from Lookup: "ok" for nil,
// then "invalid", "not_found", "throttled" or "unavailable". An error of no
// known class counts as "unavailable".
func Classify(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrInvalidInstanceID):
		return OutcomeInvalid
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrThrottled):
		return OutcomeThrottled
	default:
		return OutcomeUnavailable
	}
}

// Error is a failed lookup of one instance. Its text is terse and safe to
// show the caller (it becomes part of the denial reason): EC2's error code
// and HTTP status, never EC2's message, the endpoint or the cause, which
// are logged instead. Reach it with errors.As; errors.Is matches its class,
// awsauth.ErrEC2DNSUnavailable and the cause.
type Error struct {
	// InstanceID is the instance looked up.
	InstanceID string
	// Code is EC2's error code ("RequestLimitExceeded"); empty when EC2
	// did not answer with one.
	Code string
	// StatusCode is the HTTP status of EC2's answer; 0 when there was none.
	StatusCode int
	// detail replaces Code and StatusCode in the text when set ("no
	// private DNS name", "timeout").
	detail string
	// message is EC2's message, which may name instances; never shown.
	message string
	class   error
	cause   error
}

// Error reads "ec2 DescribeInstances i-0123456789abcdef0: throttled (RequestLimitExceeded, HTTP 503)".
func (e *Error) Error() string {
	s := "ec2 DescribeInstances " + e.InstanceID + ": " + e.class.Error()
	var parts []string
	if e.detail != "" {
		parts = append(parts, e.detail)
	}
	if e.Code != "" {
		parts = append(parts, e.Code)
	}
	if e.StatusCode != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.StatusCode))
	}
	for i, p := range parts {
		if i == 0 {
			s += " (" + p
		} else {
			s += ", " + p
		}
	}
	if len(parts) > 0 {
		s += ")"
	}
	return s
}

// Unwrap returns the class, awsauth.ErrEC2DNSUnavailable and the cause.
func (e *Error) Unwrap() []error {
	errs := []error{e.class, awsauth.ErrEC2DNSUnavailable}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// forID returns a copy of e about another instance: one failed call fails
// every instance it named.
func (e *Error) forID(id string) *Error {
	c := *e
	c.InstanceID = id
	return &c
}

// callFailure classifies an error from the SDK's DescribeInstances.
func callFailure(err error) *Error {
	e := &Error{class: ErrUnavailable, cause: err}
	if re, ok := errors.AsType[*awshttp.ResponseError](err); ok {
		e.StatusCode = re.HTTPStatusCode()
	}
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		e.Code, e.message = ae.ErrorCode(), ae.ErrorMessage()
	}
	_, throttleCode := retry.DefaultThrottleErrorCodes[e.Code]
	switch {
	case e.Code == "InvalidInstanceID.NotFound":
		e.class = ErrNotFound
	case throttleCode || e.StatusCode == http.StatusTooManyRequests:
		e.class = ErrThrottled
	case errors.Is(err, context.DeadlineExceeded):
		e.detail = "timeout"
	case e.Code == "" && e.StatusCode == 0:
		e.detail = "no answer"
	}
	return e
}

// notFound is an instance that a successful answer did not include.
func notFound(id, detail string) *Error {
	return &Error{InstanceID: id, class: ErrNotFound, detail: detail}
}

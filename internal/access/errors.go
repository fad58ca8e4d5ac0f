package access

import (
	"errors"
	"fmt"
)

// ErrorType is the class of an EKS API error, named as EKS names it in the
// x-amzn-errortype header and the JSON body.
type ErrorType string

// The error types the access management API answers with.
const (
	InvalidParameterException      ErrorType = "InvalidParameterException"
	InvalidRequestException        ErrorType = "InvalidRequestException"
	ResourceNotFoundException      ErrorType = "ResourceNotFoundException"
	ResourceInUseException         ErrorType = "ResourceInUseException"
	AccessDeniedException          ErrorType = "AccessDeniedException"
	ResourceLimitExceededException ErrorType = "ResourceLimitExceededException"
	// BadRequestException and NotFoundException are the tagging
	// operations' errors (TagResource, UntagResource, ListTagsForResource
	// model no others).
	BadRequestException ErrorType = "BadRequestException"
	NotFoundException   ErrorType = "NotFoundException"
)

// HTTPStatus returns the status code EKS answers errors of type t with, and
// 500 for a type it does not know. (Numbers, not net/http constants: this
// package is pure and imports no transport.)
func (t ErrorType) HTTPStatus() int {
	switch t {
	case InvalidParameterException, InvalidRequestException, ResourceLimitExceededException, BadRequestException:
		return 400
	case ResourceNotFoundException, NotFoundException:
		return 404
	case ResourceInUseException:
		return 409
	case AccessDeniedException:
		return 403
	}
	return 500
}

// Error is a refusal by the access management domain: a class and the
// public message, safe to show to the caller as is. Retrieve it with
// errors.As(err, &e) where e is a *Error.
type Error struct {
	Type    ErrorType
	Message string
	// cause is the internal error behind the refusal, if any, for errors.Is
	// (arn.ErrMalformed, authz.ErrInvalidScope); it is not part of Message.
	cause error
}

// Error returns "TYPE: MESSAGE", the way the AWS CLI prints EKS errors.
func (e *Error) Error() string { return string(e.Type) + ": " + e.Message }

// Unwrap returns the internal cause of the refusal, if any.
func (e *Error) Unwrap() error { return e.cause }

// HTTPStatus returns the status code the API answers e with.
func (e *Error) HTTPStatus() int { return e.Type.HTTPStatus() }

// TypeOf returns the ErrorType of the first *Error in err's chain, or "" when
// err is not (and does not wrap) an access error.
func TypeOf(err error) ErrorType {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}

func newError(t ErrorType, format string, args ...any) *Error {
	return &Error{Type: t, Message: fmt.Sprintf(format, args...)}
}

// withCause records the internal cause of e and returns e.
func (e *Error) withCause(cause error) *Error {
	e.cause = cause
	return e
}

// WithCause records the internal cause of e, reachable with errors.Is and
// errors.As but never part of the message, and returns e.
func (e *Error) WithCause(cause error) *Error { return e.withCause(cause) }

// ErrEntryNotFound is the error EKS answers with when no access entry exists
// for a principal ARN.
func ErrEntryNotFound() *Error {
	return newError(ResourceNotFoundException,
		"The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.")
}

// ErrEntryInUse is the error EKS answers with when an access entry already
// exists for the principal.
func ErrEntryInUse() *Error {
	return newError(ResourceInUseException, "The specified access entry resource is already in use on this cluster.")
}

// ErrClusterNotFound is the error EKS answers with when a cluster does not
// exist.
func ErrClusterNotFound(name string) *Error {
	return newError(ResourceNotFoundException, "No cluster found for name: %s.", name)
}

// ErrAssociationNotFound is the error for a policy that is not associated
// with the access entry.
func ErrAssociationNotFound(policyARN string) *Error {
	return newError(ResourceNotFoundException,
		"The specified policyArn %s is not associated with the principalArn. You can view the associated access policies with 'list-associated-access-policies'.", policyARN)
}

// ErrInvalidNextToken is the error for a pagination token that this server
// did not issue.
func ErrInvalidNextToken() *Error {
	return newError(InvalidParameterException, "The nextToken is invalid.")
}

// ErrInvalidMaxResults is the error for a maxResults outside 1..100.
func ErrInvalidMaxResults(n int) *Error {
	return newError(InvalidParameterException, "The maxResults %d is invalid, it must be between 1 and %d.", n, MaxResults)
}

// MaxResults is the largest page the list operations return, as in EKS.
const MaxResults = 100

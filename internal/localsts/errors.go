package localsts

import (
	"errors"
	"fmt"
	"net/http"
)

// APIError is an error as STS reports it: an HTTP status, an error code
// clients switch on ("SignatureDoesNotMatch", "AccessDenied", ...) and a
// message for people. Every refusal the server answers is an *APIError.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// Error returns "CODE: MESSAGE".
func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Is matches another *APIError with the same Code, so tests and callers can
// write errors.Is(err, &APIError{Code: "ExpiredToken"}).
func (e *APIError) Is(target error) bool {
	var t *APIError
	return errors.As(target, &t) && t.Code == e.Code
}

// The error codes the server returns, as STS spells them.
const (
	CodeInvalidClientTokenID          = "InvalidClientTokenId"
	CodeSignatureDoesNotMatch         = "SignatureDoesNotMatch"
	CodeIncompleteSignature           = "IncompleteSignature"
	CodeMissingAuthenticationToken    = "MissingAuthenticationToken"
	CodeExpiredToken                  = "ExpiredToken"
	CodeAccessDenied                  = "AccessDenied"
	CodeInvalidAction                 = "InvalidAction"
	CodeMissingParameter              = "MissingParameter"
	CodeInvalidParameterValue         = "InvalidParameterValue"
	CodeInvalidParameterCombination   = "InvalidParameterCombination"
	CodeValidationError               = "ValidationError"
	CodeRequestEntityTooLarge         = "RequestEntityTooLarge"
	CodeMethodNotAllowed              = "MethodNotAllowed"
	CodeInternalFailure               = "InternalFailure"
	messageSignatureDoesNotMatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	messageInvalidClientTokenID       = "The security token included in the request is invalid."
	messageExpiredToken               = "The security token included in the request is expired"
	messageMissingAuthenticationToken = "Request is missing Authentication Token"
)

func apiError(status int, code, message string) *APIError {
	return &APIError{Status: status, Code: code, Message: message}
}

func errInvalidClientTokenID() *APIError {
	return apiError(http.StatusForbidden, CodeInvalidClientTokenID, messageInvalidClientTokenID)
}

func errSignatureDoesNotMatch(message string) *APIError {
	return apiError(http.StatusForbidden, CodeSignatureDoesNotMatch, message)
}

func errIncompleteSignature(message string) *APIError {
	return apiError(http.StatusBadRequest, CodeIncompleteSignature, message)
}

func errMissingAuthenticationToken() *APIError {
	return apiError(http.StatusForbidden, CodeMissingAuthenticationToken, messageMissingAuthenticationToken)
}

func errExpiredToken() *APIError {
	return apiError(http.StatusForbidden, CodeExpiredToken, messageExpiredToken)
}

func errAccessDenied(message string) *APIError {
	return apiError(http.StatusForbidden, CodeAccessDenied, message)
}

func errInvalidParameterCombination(message string) *APIError {
	return apiError(http.StatusBadRequest, CodeInvalidParameterCombination, message)
}

func errInvalidParameterValue(message string) *APIError {
	return apiError(http.StatusBadRequest, CodeInvalidParameterValue, message)
}

func errMissingParameter(name string) *APIError {
	return apiError(http.StatusBadRequest, CodeMissingParameter, "The request must contain the parameter "+name)
}

func errInvalidAction(action, version string) *APIError {
	return apiError(http.StatusBadRequest, CodeInvalidAction,
		fmt.Sprintf("Could not find operation %s for version %s", action, version))
}

// errValidation is STS's answer to a parameter that breaks a constraint.
func errValidation(value, field, constraint string) *APIError {
	return apiError(http.StatusBadRequest, CodeValidationError,
		fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
)

// The error types the API answers with beyond access.ErrorType's. The type
// travels in the X-Amzn-ErrorType header, which the AWS SDKs and CLI read
// first, and the message in the JSON body's "message".
//
// Authentication failures follow AWS's front end for JSON services: an
// unknown access key or an unverifiable bearer token is
// UnrecognizedClientException, a bad signature InvalidSignatureException,
// no credentials at all MissingAuthenticationTokenException, all 403. An
// authenticated caller who is not a manager gets AccessDeniedException
// (403), naming the caller and the operation.
const (
	TypeAccessDenied          = string(access.AccessDeniedException)
	TypeInvalidParameter      = string(access.InvalidParameterException)
	TypeInvalidRequest        = string(access.InvalidRequestException)
	TypeResourceNotFound      = string(access.ResourceNotFoundException)
	TypeResourceInUse         = string(access.ResourceInUseException)
	TypeUnrecognizedClient    = "UnrecognizedClientException"
	TypeInvalidSignature      = "InvalidSignatureException"
	TypeIncompleteSignature   = "IncompleteSignatureException"
	TypeMissingAuthToken      = "MissingAuthenticationTokenException"
	TypeExpiredToken          = "ExpiredTokenException"
	TypeThrottling            = "ThrottlingException"
	TypeServiceUnavailable    = "ServiceUnavailableException"
	TypeServer                = "ServerException"
	TypeMethodNotAllowed      = "MethodNotAllowedException"
	TypeRequestEntityTooLarge = "RequestEntityTooLargeException"
)

// Error is an answer the API refuses a call with: HTTP status, EKS error
// type and the public message. The internal cause, if any, is logged, never
// sent.
type Error struct {
	Status  int
	Type    string
	Message string
	cause   error
	allow   string // the Allow header of a 405
}

// Error returns "TYPE: MESSAGE".
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.cause }

func invalidParameter(message string) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalidParameter, Message: message}
}

// toAPIError turns any error of the pipeline into the answer the caller
// sees. Anything not already a refusal is a ServerException whose cause is
// logged.
func (h *Handler) toAPIError(c *call, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var ae *access.Error
	if errors.As(err, &ae) {
		return &Error{Status: ae.HTTPStatus(), Type: string(ae.Type), Message: ae.Message, cause: err}
	}
	if errors.Is(err, store.ErrConflict) {
		// In EKS's form ("Cannot update because cluster NAME currently has
		// update ID in progress", rancher/rancher issue 28408; "Cannot
		// AccessConfigUpdate because ...", aws/aws-cdk issue 33452): here the
		// other update is another request's, which has no ID to name.
		return &Error{Status: http.StatusConflict, Type: TypeResourceInUse,
			Message: "Cannot update because cluster " + c.cluster + " currently has another update in progress; retry.", cause: err}
	}
	h.log.Error("api internal error", "operation", c.op.name, "request_id", c.requestID, "error", err)
	return &Error{Status: http.StatusInternalServerError, Type: TypeServer,
		Message: "An internal error occurred. Request ID: " + c.requestID, cause: err}
}

// writeError renders e as EKS does: the type in X-Amzn-ErrorType, the
// message in the JSON body.
func writeError(w http.ResponseWriter, e *Error) {
	w.Header().Set("X-Amzn-ErrorType", e.Type)
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	writeJSON(w, e.Status, map[string]string{"message": e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"An internal error occurred."}`)
		w.Header().Set("X-Amzn-ErrorType", TypeServer)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

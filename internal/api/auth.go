package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
)

// Authenticator identifies the caller of an API request.
//
// Contract: a request whose credentials are missing, malformed or not
// valid is a refusal, returned as an *Error with status 403 (or 400 for a
// malformed signature) and an AWS error type; any other error is a failure
// to decide (the verifier is unreachable, say) and is answered as such. An
// Authenticator may read r.Body but must leave it readable from the start.
type Authenticator interface {
	Authenticate(r *http.Request) (identity.Identity, error)
}

// SigV4Authenticator authenticates AWS SigV4-signed requests, the way the
// AWS CLI and SDKs call EKS, with a signature verifier such as
// localsts.Server.AuthenticateRequest (dev mode, where the local STS owns
// every credential).
type SigV4Authenticator struct {
	// Verify checks r's signature for service and returns the signer.
	Verify func(r *http.Request, service string) (identity.Identity, error)
	// Region is the cluster's region: a request must be signed for it, as
	// EKS's regional endpoint requires. Empty: any region the verifier
	// accepts.
	Region string
}

// sigV4Service is the service name EKS requests are signed for.
const sigV4Service = "eks"

// Authenticate checks r's credential scope (this region, service "eks"),
// cheapest first, then verifies its signature.
func (a SigV4Authenticator) Authenticate(r *http.Request) (identity.Identity, error) {
	if a.Verify == nil {
		return identity.Identity{}, unrecognizedClient("SigV4-signed requests are not accepted by this server.")
	}
	if err := a.checkScope(r); err != nil {
		return identity.Identity{}, err
	}
	id, err := a.Verify(r, sigV4Service)
	if err != nil {
		return identity.Identity{}, sigV4Refusal(err)
	}
	return id, nil
}

// checkScope refuses a credential scope for another region or service with
// the InvalidSignatureException (403) and message AWS's front end answers a
// JSON API with ("Credential should be scoped to a valid region, not
// 'us-west-2'." and "Credential should be scoped to correct service:
// 'eks'.", as quoted in aws-sdk-ruby #508 and #431 and versity/versitygw
// #192). A header whose scope cannot be read is left to Verify, which
// answers its malformation precisely.
func (a SigV4Authenticator) checkScope(r *http.Request) error {
	region, service, ok := credentialScope(r.Header.Get("Authorization"))
	if !ok {
		return nil
	}
	if service != sigV4Service {
		return &Error{Status: http.StatusForbidden, Type: TypeInvalidSignature,
			Message: "Credential should be scoped to correct service: '" + sigV4Service + "'."}
	}
	if a.Region != "" && region != a.Region {
		return &Error{Status: http.StatusForbidden, Type: TypeInvalidSignature,
			Message: "Credential should be scoped to a valid region, not '" + region + "'."}
	}
	return nil
}

// credentialScope returns the region and service of a SigV4 Authorization
// header's Credential=KEY/DATE/REGION/SERVICE/aws4_request.
func credentialScope(header string) (region, service string, ok bool) {
	_, rest, found := strings.Cut(header, "Credential=")
	if !found {
		return "", "", false
	}
	cred, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return "", "", false
	}
	return parts[2], parts[3], true
}

// sigV4Refusal maps the local STS's error codes to what AWS's front end
// answers a JSON API call with.
func sigV4Refusal(err error) error {
	var e *localsts.APIError
	if !errors.As(err, &e) {
		return err
	}
	refusal := &Error{Status: http.StatusForbidden, Message: e.Message, cause: err}
	switch e.Code {
	case localsts.CodeInvalidClientTokenID:
		refusal.Type = TypeUnrecognizedClient
	case localsts.CodeSignatureDoesNotMatch:
		refusal.Type = TypeInvalidSignature
	case localsts.CodeExpiredToken:
		refusal.Type = TypeExpiredToken
	case localsts.CodeMissingAuthenticationToken:
		refusal.Type, refusal.Message = TypeMissingAuthToken, "Missing Authentication Token"
	case localsts.CodeRequestEntityTooLarge:
		refusal.Status, refusal.Type = http.StatusRequestEntityTooLarge, TypeRequestEntityTooLarge
	default: // IncompleteSignature, InvalidParameterValue, InvalidParameterCombination
		refusal.Status, refusal.Type = http.StatusBadRequest, TypeIncompleteSignature
	}
	return refusal
}

// TokenVerifier verifies a k8s-aws-v1 bearer token; *sts.Verifier is one.
type TokenVerifier interface {
	Verify(ctx context.Context, tok string) (identity.Identity, error)
}

// BearerAuthenticator authenticates "Authorization: Bearer k8s-aws-v1..."
// requests carrying a token for the API's own audience ("kubeiam token
// --audience api": x-k8s-aws-id is token.APIAudiencePrefix + the cluster
// ID), verified with STS. The token kubectl sends to kube-apiserver is
// refused, with a message saying which token to send instead: whatever
// sees a kubectl token (a proxy, an aggregated API server, a log) must not
// be able to change access with it.
type BearerAuthenticator struct {
	// Verifier verifies API-audience tokens: an *sts.Verifier configured
	// with token.AudienceAPI.
	Verifier TokenVerifier
}

// Authenticate verifies r's bearer token.
func (a BearerAuthenticator) Authenticate(r *http.Request) (identity.Identity, error) {
	tok, ok := bearerToken(r)
	if !ok {
		return identity.Identity{}, missingToken()
	}
	if a.Verifier == nil {
		return identity.Identity{}, unrecognizedClient("Bearer tokens are not accepted by this server.")
	}
	id, err := a.Verifier.Verify(r.Context(), tok)
	if err == nil {
		return id, nil
	}
	if errors.Is(err, token.ErrClusterToken) {
		e := unrecognizedClient("The bearer token is a token for the cluster (what kubectl sends), which this API refuses: " +
			`send a token for the access-management API ("kubeiam token --audience api"), or upgrade the kubeiam CLI, whose commands mint one.`)
		e.cause = err
		return identity.Identity{}, e
	}
	switch sts.Classify(err) {
	case sts.OutcomeExpired:
		return identity.Identity{}, &Error{Status: http.StatusForbidden, Type: TypeExpiredToken,
			Message: "The security token included in the request is expired", cause: err}
	case sts.OutcomeInvalid, sts.OutcomeRejected:
		e := unrecognizedClient("The security token included in the request is invalid.")
		e.cause = err
		return identity.Identity{}, e
	case sts.OutcomeThrottled:
		return identity.Identity{}, &Error{Status: http.StatusTooManyRequests, Type: TypeThrottling,
			Message: "Rate exceeded verifying the token with STS; retry later.", cause: err}
	}
	return identity.Identity{}, &Error{Status: http.StatusServiceUnavailable, Type: TypeServiceUnavailable,
		Message: "The token could not be verified: STS is unavailable; retry later.", cause: err}
}

// Chain authenticates bearer-token requests with Bearer and everything else
// with SigV4; either may be nil to refuse that kind of credential.
type Chain struct {
	Bearer Authenticator
	SigV4  Authenticator
}

// Authenticate dispatches on the Authorization header's scheme.
func (c Chain) Authenticate(r *http.Request) (identity.Identity, error) {
	if _, ok := bearerToken(r); ok {
		if c.Bearer == nil {
			return identity.Identity{}, unrecognizedClient("Bearer tokens are not accepted by this server.")
		}
		return c.Bearer.Authenticate(r)
	}
	if r.Header.Get("Authorization") == "" {
		return identity.Identity{}, missingToken()
	}
	if c.SigV4 == nil {
		return identity.Identity{}, unrecognizedClient("SigV4-signed requests are not accepted by this server.")
	}
	return c.SigV4.Authenticate(r)
}

func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func unrecognizedClient(message string) *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeUnrecognizedClient, Message: message}
}

func missingToken() *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeMissingAuthToken, Message: "Missing Authentication Token"}
}

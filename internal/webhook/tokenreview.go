// Package webhook serves the kube-apiserver webhooks: TokenReview
// (authentication) and SubjectAccessReview (authorization). The handlers are
// thin: decode and check the request, call the service, render the answer.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authnv1beta1 "k8s.io/api/authentication/v1beta1"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/metrics"
)

// MaxBodyBytes bounds a review request body.
const MaxBodyBytes = 1 << 20

// Extra keys set on authenticated users. They match aws-iam-authenticator's,
// so existing RBAC and audit tooling keeps working.
const (
	ExtraARN          = "arn"
	ExtraCanonicalARN = "canonicalArn"
	ExtraSessionName  = "sessionName"
	ExtraAccessKeyID  = "accessKeyId"
	ExtraPrincipalID  = "principalId"
	// ExtraBinding carries an HMAC that ties the other extras to this
	// server, so the authorization webhook can tell its own users from
	// impersonated ones (see Binder).
	ExtraBinding = "kubeiam.io/binding"
)

// Authenticator decides for one token; see authn.Service.
type Authenticator interface {
	Authenticate(ctx context.Context, req authn.Request) authn.Outcome
}

// TokenReviewHandler answers POST /authenticate.
type TokenReviewHandler struct {
	Auth    Authenticator
	Metrics *metrics.Metrics
	Binder  *Binder
	Now     func() time.Time
	// APIAudiences are the audiences kube-apiserver identifies itself with
	// (its --api-audiences, by default its --service-account-issuer). When
	// set, a review that names audiences none of which is the API server's
	// is refused before any STS call. When empty, kubeiam cannot tell the API
	// server's audiences from others and answers without status.audiences,
	// which the TokenReview contract reads as "valid for the API server
	// only" (see checkAudiences).
	APIAudiences []string
}

// The TokenReview versions served (authnv1 and authnv1beta1
// SchemeGroupVersion, as constants: the check runs on every request).
const (
	apiVersionV1      = "authentication.k8s.io/v1"
	apiVersionV1beta1 = "authentication.k8s.io/v1beta1"
)

// tokenReview is the part of a TokenReview we read, in either version.
type tokenReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Token     string   `json:"token"`
		Audiences []string `json:"audiences,omitempty"`
	} `json:"spec"`
}

// ServeHTTP implements http.Handler.
func (h *TokenReviewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.Now()
	result := "error"
	defer func() {
		h.Metrics.Requests.WithLabelValues("authenticate", result).Inc()
		h.Metrics.Latency.WithLabelValues("authenticate", result).Observe(h.Now().Sub(start).Seconds())
	}()
	var in tokenReview
	if status, err := decodeWith(w, r, func(body []byte) error { return decodeTokenReview(body, &in) }); err != nil {
		result = "bad-request"
		httpError(w, status, err.Error())
		return
	}
	if in.Kind != "TokenReview" || (in.APIVersion != apiVersionV1 && in.APIVersion != apiVersionV1beta1) {
		result = "bad-request"
		httpError(w, http.StatusBadRequest, fmt.Sprintf("want kind TokenReview in %s or %s, got kind %q apiVersion %q",
			authnv1.SchemeGroupVersion, authnv1beta1.SchemeGroupVersion, in.Kind, in.APIVersion))
		return
	}
	audiences, refusal := checkAudiences(in.Spec.Audiences, h.APIAudiences)
	if refusal != "" {
		result = "wrong-audience"
		writeTokenReview(w, in.APIVersion, &reviewStatus{Error: refusal})
		return
	}
	out := h.Auth.Authenticate(r.Context(), authn.Request{Token: in.Spec.Token, Client: r.RemoteAddr,
		ClientID: clientCertID(r), Method: r.Method, Path: r.URL.Path})
	result = out.Class
	switch out.Class {
	case "throttled", "rate-limited":
		// 429 makes kube-apiserver back off and retry instead of caching a
		// denial for a user who did nothing wrong.
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusTooManyRequests, out.PublicError)
		return
	case "unavailable":
		// Not a denial: kubeiam could not decide. 503 keeps the API server
		// from caching "unauthenticated" for a valid user.
		httpError(w, http.StatusServiceUnavailable, out.PublicError)
		return
	}
	status := reviewStatus{Authenticated: out.Authenticated}
	if out.Authenticated {
		h.userInfo(&status, out)
		status.Audiences = audiences
	} else {
		status.Error = out.PublicError
	}
	writeTokenReview(w, in.APIVersion, &status)
}

// writeTokenReview answers in the version that was asked (see
// appendTokenReview), with its length, in one write.
func writeTokenReview(w http.ResponseWriter, apiVersion string, st *reviewStatus) {
	buf := getBuffer()
	defer putBuffer(buf)
	buf.Write(appendTokenReview(buf.AvailableBuffer(), apiVersion, st))
	writeBody(w, http.StatusOK, buf.Bytes())
}

// clientCertID names the caller by its verified client certificate and its
// address (several kube-apiservers may share one certificate), or "" without
// a certificate; the STS rate limit counts by it.
func clientCertID(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return ""
	}
	c := r.TLS.VerifiedChains[0][0]
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "cert:" + c.Subject.String() + "/" + c.SerialNumber.String() + "@" + host
}

func (h *TokenReviewHandler) userInfo(st *reviewStatus, out authn.Outcome) {
	id := out.Identity
	groups := out.Result.Groups
	if groups == nil {
		groups = []string{}
	}
	st.Username, st.UID, st.Groups = out.Result.Username, out.UID, groups
	// The extras in key order (see reviewStatus), their values in one
	// array.
	vals := new([6]string)
	vals[0], vals[1], vals[2] = id.AccessKeyID, id.ARN, id.CanonicalARN
	vals[4], vals[5] = id.UserID, id.SessionName
	extras := []extra{
		{ExtraAccessKeyID, vals[0:1:1]},
		{ExtraARN, vals[1:2:2]},
		{ExtraCanonicalARN, vals[2:3:3]},
		{ExtraBinding, vals[3:4:4]},
		{ExtraPrincipalID, vals[4:5:5]},
		{ExtraSessionName, vals[5:6:6]},
	}
	if h.Binder != nil {
		vals[3] = h.Binder.Sign(Subject{
			Username: st.Username, UID: st.UID, Groups: groups, ARN: id.ARN, AccessKeyID: id.AccessKeyID,
		}, h.Now())
	} else {
		extras = slices.Delete(extras, 3, 4)
	}
	st.Extra = extras
}

// decode reads a JSON review body with a size limit, answering the HTTP
// status to use on failure. The whole body is read before it is parsed, so
// the limit holds for the body and not only for its first JSON value, and
// anything after that value is refused rather than ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) (int, error) {
	return decodeWith(w, r, func(body []byte) error { return json.Unmarshal(body, v) })
}

// decodeWith is decode with its own JSON decoder, called on the whole body
// (which it must not retain: the buffer is reused).
func decodeWith(w http.ResponseWriter, r *http.Request, unmarshal func([]byte) error) (int, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed; POST a review object", r.Method)
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if n := r.ContentLength; n > 0 && n <= MaxBodyBytes {
		buf.Grow(int(n) + 1) // +1: ReadFrom needs room to see EOF
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", MaxBodyBytes)
		}
		return http.StatusBadRequest, fmt.Errorf("reading request body: %v", err)
	}
	if err := unmarshal(body); err != nil {
		return http.StatusBadRequest, fmt.Errorf("request body is not a JSON review object: %v", err)
	}
	return 0, nil
}

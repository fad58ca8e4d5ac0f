package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	authzv1beta1 "k8s.io/api/authorization/v1beta1"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/metrics"
)

// SubjectAccessReviewHandler answers POST /authorize: allowed when an access
// policy associated with the caller's access entry covers the request within
// its scope, otherwise "no opinion" so that RBAC decides. It never denies.
type SubjectAccessReviewHandler struct {
	Mapper  authn.Mapper
	Binder  *Binder
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time

	authzOnce  sync.Once
	authorizer *authz.Authorizer // built once: authz.Authorize rebuilds the catalog per call
}

// ServeHTTP implements http.Handler.
func (h *SubjectAccessReviewHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.Now()
	result := "error"
	defer func() {
		h.Metrics.Authorizations.WithLabelValues(result).Inc()
		h.Metrics.Requests.WithLabelValues("authorize", result).Inc()
		h.Metrics.Latency.WithLabelValues("authorize", result).Observe(h.Now().Sub(start).Seconds())
	}()
	var in authzv1.SubjectAccessReview
	if status, err := decodeWith(w, r, func(body []byte) error { return decodeSubjectAccessReview(body, &in) }); err != nil {
		result = "bad-request"
		httpError(w, status, err.Error())
		return
	}
	if in.Kind != "SubjectAccessReview" || (in.APIVersion != authzv1.SchemeGroupVersion.String() && in.APIVersion != authzv1beta1.SchemeGroupVersion.String()) {
		result = "bad-request"
		httpError(w, http.StatusBadRequest, fmt.Sprintf("want kind SubjectAccessReview in %s or %s, got kind %q apiVersion %q",
			authzv1.SchemeGroupVersion, authzv1beta1.SchemeGroupVersion, in.Kind, in.APIVersion))
		return
	}
	dec := h.decide(in.Spec)
	result = "no-opinion"
	if dec.Allowed {
		result = "allowed"
	}
	h.Logger.Debug("authorization decision", "user", in.Spec.User, "allowed", dec.Allowed,
		"policy", dec.PolicyARN, "reason", dec.Reason, "verb", verb(in.Spec),
		"resource", resourceString(in.Spec))
	out := authzv1.SubjectAccessReview{
		TypeMeta: typeMeta(in.APIVersion, in.Kind),
		Status:   authzv1.SubjectAccessReviewStatus{Allowed: dec.Allowed, Reason: dec.Reason},
	}
	writeJSON(w, http.StatusOK, out)
}

// decide finds the caller's grants and evaluates them.
func (h *SubjectAccessReviewHandler) decide(spec authzv1.SubjectAccessReviewSpec) authz.Decision {
	one := func(k string) string { return extraValue(spec.Extra, k) }
	callerARN, akid, binding := one(ExtraARN), one(ExtraAccessKeyID), one(ExtraBinding)
	if callerARN == "" {
		return authz.Decision{Reason: "not a kubeiam user: no access policies apply"}
	}
	subject := Subject{Username: spec.User, UID: spec.UID, Groups: spec.Groups, ARN: callerARN, AccessKeyID: akid}
	if h.Binder == nil {
		return authz.Decision{Reason: "identity not issued by this kubeiam server (impersonated?): access policies do not apply"}
	}
	if err := h.Binder.Verify(binding, subject, h.Now()); err != nil {
		if errors.Is(err, ErrBindingExpired) {
			return authz.Decision{Reason: "identity binding expired (re-authenticate): access policies do not apply"}
		}
		return authz.Decision{Reason: "identity not issued by this kubeiam server (impersonated?): access policies do not apply"}
	}
	account := ""
	if parts := strings.SplitN(spec.UID, ":", 3); len(parts) == 3 && parts[0] == "kubeiam" {
		account = parts[1]
	}
	id, err := identity.FromARN(callerARN, account, one(ExtraPrincipalID), akid)
	if err != nil {
		return authz.Decision{Reason: "caller ARN does not parse: access policies do not apply"}
	}
	res := h.Mapper.Resolve(id)
	if !res.Mapped || res.Username != spec.User {
		return authz.Decision{Reason: "caller's mapping changed since authentication: access policies do not apply"}
	}
	if len(res.Grants) == 0 {
		return authz.Decision{Reason: fmt.Sprintf("no access policy associated (mapped by %s); RBAC decides", res.Source)}
	}
	h.authzOnce.Do(func() { h.authorizer = authz.NewAuthorizer() })
	return h.authorizer.Authorize(res.Grants, authz.AttributesFromSAR(spec))
}

// extraValue returns the single value of the extra key, matched without
// regard to case: kube-apiserver lowercases extra keys that arrive as HTTP
// headers (Impersonate-Extra-*, and the front-proxy's X-Remote-Extra-* of
// aggregated API servers; k8s.io/apiserver pkg/endpoints/filters
// impersonation.go and pkg/authentication/request/headerrequest), so
// "accessKeyId" comes back as "accesskeyid". It returns "" when the key is
// missing, has several values, or is present in several spellings with
// different values, which no request kube-apiserver builds itself has.
func extraValue(extra map[string]authzv1.ExtraValue, key string) string {
	val, found := "", false
	for k, v := range extra {
		if !strings.EqualFold(k, key) {
			continue
		}
		if len(v) != 1 || (found && v[0] != val) {
			return ""
		}
		val, found = v[0], true
	}
	return val
}

func verb(spec authzv1.SubjectAccessReviewSpec) string {
	if ra := spec.ResourceAttributes; ra != nil {
		return ra.Verb
	}
	if nra := spec.NonResourceAttributes; nra != nil {
		return nra.Verb
	}
	return ""
}

func resourceString(spec authzv1.SubjectAccessReviewSpec) string {
	if ra := spec.ResourceAttributes; ra != nil {
		s := ra.Resource
		if ra.Subresource != "" {
			s += "/" + ra.Subresource
		}
		if ra.Group != "" {
			s += "." + ra.Group
		}
		if ra.Namespace != "" {
			s = ra.Namespace + "/" + s
		}
		return s
	}
	if nra := spec.NonResourceAttributes; nra != nil {
		return nra.Path
	}
	return ""
}

package webhook

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	authzv1 "k8s.io/api/authorization/v1"

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
	if status, err := decode(w, r, &in); err != nil {
		result = "bad-request"
		httpError(w, status, err.Error())
		return
	}
	if in.Kind != "SubjectAccessReview" || in.APIVersion != authzv1.SchemeGroupVersion.String() {
		result = "bad-request"
		httpError(w, http.StatusBadRequest, fmt.Sprintf("want kind SubjectAccessReview in %s, got kind %q apiVersion %q",
			authzv1.SchemeGroupVersion, in.Kind, in.APIVersion))
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
	one := func(k string) string {
		if v := spec.Extra[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	callerARN, akid, binding := one(ExtraARN), one(ExtraAccessKeyID), one(ExtraBinding)
	if callerARN == "" {
		return authz.Decision{Reason: "not a kubeiam user: no access policies apply"}
	}
	if h.Binder == nil || !h.Binder.Verify(binding, spec.User, spec.UID, callerARN, akid) {
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

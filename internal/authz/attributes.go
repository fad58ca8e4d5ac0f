package authz

import (
	"errors"
	"strconv"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// Attributes is the request being authorized, as kube-apiserver describes it
// in a SubjectAccessReview.
type Attributes struct {
	// User and Groups identify the caller. Access policies are associated
	// with a principal, not a group, so evaluation does not read them; they
	// are here for the caller's logs.
	User   string
	Groups []string

	// Verb is the Kubernetes verb: get, list, watch, create, update, patch,
	// delete, deletecollection, or a special one (impersonate, bind, ...).
	Verb string

	// APIGroup, Resource, Subresource, Name and Namespace describe a resource
	// request. APIGroup is "" for the core group. Namespace is "" for
	// cluster-scoped resources and for requests across all namespaces.
	APIGroup    string
	Resource    string
	Subresource string
	Name        string
	Namespace   string

	// NonResourcePath is the URL path of a non-resource request (/healthz).
	NonResourcePath string

	// ResourceRequest tells a resource request from a non-resource one.
	ResourceRequest bool

	// Impersonated marks a request the caller made while impersonating
	// another user. Such a request gets no access policy permissions (see
	// AttributesFromSAR for why the caller has to set it).
	Impersonated bool
}

// AttributesFromSAR converts the spec of a SubjectAccessReview that
// kube-apiserver's webhook authorizer sent. As kube-apiserver does, it reads
// ResourceAttributes when they are present and NonResourceAttributes
// otherwise; the API version is dropped because RBAC ignores it.
//
// It never sets Impersonated, because a SubjectAccessReview does not show
// impersonation. kube-apiserver's impersonation filter replaces the
// requester's user info wholesale with the impersonated one (name, groups,
// UID and only the extras the requester asked for with Impersonate-Extra-*
// headers) before authorization runs, so the webhook sees the impersonated
// user exactly as if that user had called. Telling the two apart is an
// explicit non-goal of Kubernetes (KEP-5284, constrained impersonation).
// What is observable is indirect: an impersonated user lacks the extras
// kubeiam's TokenReview attaches to the identities it authenticates, unless
// the impersonator was also allowed to impersonate those extras. A caller
// that wants that check sets Impersonated itself, from spec.Extra.
func AttributesFromSAR(spec authorizationv1.SubjectAccessReviewSpec) Attributes {
	a := Attributes{User: spec.User, Groups: spec.Groups}
	switch {
	case spec.ResourceAttributes != nil:
		r := spec.ResourceAttributes
		a.ResourceRequest = true
		a.Verb = r.Verb
		a.APIGroup = r.Group
		a.Resource = r.Resource
		a.Subresource = r.Subresource
		a.Name = r.Name
		a.Namespace = r.Namespace
	case spec.NonResourceAttributes != nil:
		a.Verb = spec.NonResourceAttributes.Verb
		a.NonResourcePath = spec.NonResourceAttributes.Path
	}
	return a
}

// check refuses attributes that do not describe a request. Without it an
// empty review would match the "*" verb and "*" URL of the cluster admin
// policy.
func (a *Attributes) check() error {
	if a.Verb == "" {
		return errors.New("no verb")
	}
	if a.ResourceRequest && a.Resource == "" {
		return errors.New("resource request without a resource")
	}
	if !a.ResourceRequest && a.NonResourcePath == "" {
		return errors.New("neither resource attributes nor a non-resource path")
	}
	return nil
}

// String describes the request for reasons and logs:
// `get secrets "db" in namespace "dev"`, `list apps/deployments (no
// namespace)`, `get /healthz`.
func (a Attributes) String() string {
	var b strings.Builder
	b.WriteString(a.Verb)
	b.WriteByte(' ')
	if !a.ResourceRequest {
		b.WriteString(a.NonResourcePath)
		return b.String()
	}
	if a.APIGroup != "" {
		b.WriteString(a.APIGroup)
		b.WriteByte('/')
	}
	b.WriteString(a.Resource)
	if a.Subresource != "" {
		b.WriteByte('/')
		b.WriteString(a.Subresource)
	}
	if a.Name != "" {
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(a.Name))
	}
	if a.Namespace != "" {
		b.WriteString(" in namespace ")
		b.WriteString(strconv.Quote(a.Namespace))
	} else {
		// Either a cluster-scoped resource or all namespaces; the SAR does
		// not say which.
		b.WriteString(" (no namespace)")
	}
	return b.String()
}

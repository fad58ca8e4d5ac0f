package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// authenticatedUser runs a token through /authenticate and returns the user
// kube-apiserver would then put in its SubjectAccessReviews.
func (e *env) authenticatedUser(t *testing.T, tok string) authnv1.UserInfo {
	t.Helper()
	status, _, raw := e.do(t, http.MethodPost, "/authenticate", mustJSON(t, authnv1.TokenReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview"},
		Spec:     authnv1.TokenReviewSpec{Token: tok},
	}))
	var out authnv1.TokenReview
	decodeStrict(t, raw, &out)
	if status != http.StatusOK || !out.Status.Authenticated {
		t.Fatalf("authentication failed: HTTP %d %s", status, raw)
	}
	return out.Status.User
}

// sarSpec is the spec kube-apiserver sends for user doing attrs.
func sarSpec(u authnv1.UserInfo, attrs *authzv1.ResourceAttributes) authzv1.SubjectAccessReviewSpec {
	extra := map[string]authzv1.ExtraValue{}
	for k, v := range u.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	return authzv1.SubjectAccessReviewSpec{User: u.Username, UID: u.UID, Groups: u.Groups, Extra: extra, ResourceAttributes: attrs}
}

// authorize posts a SubjectAccessReview and decodes the answer.
func (e *env) authorize(t *testing.T, spec authzv1.SubjectAccessReviewSpec) authzv1.SubjectAccessReview {
	t.Helper()
	status, header, raw := e.do(t, http.MethodPost, "/authorize", mustJSON(t, authzv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
		Spec:     spec,
	}))
	if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
		t.Fatalf("HTTP %d %s: %s", status, header.Get("Content-Type"), raw)
	}
	var out authzv1.SubjectAccessReview
	decodeStrict(t, raw, &out)
	if out.APIVersion != "authorization.k8s.io/v1" || out.Kind != "SubjectAccessReview" {
		t.Errorf("answered %s %s", out.APIVersion, out.Kind)
	}
	if out.Status.Denied || out.Status.EvaluationError != "" {
		t.Errorf("status = %+v: kubeiam never denies and never fails a review", out.Status)
	}
	return out
}

func pods(verb, namespace string) *authzv1.ResourceAttributes {
	return &authzv1.ResourceAttributes{Verb: verb, Resource: "pods", Namespace: namespace, Version: "v1"}
}

const (
	notIssued     = "identity not issued by this kubeiam server (impersonated?): access policies do not apply"
	notKubeiam    = "not a kubeiam user: no access policies apply"
	mappingMoved  = "caller's mapping changed since authentication: access policies do not apply"
	allowedInDev  = `allowed by AmazonEKSViewPolicy in namespace "dev" (scope pattern "dev")`
	notCoveredPfx = "no associated access policy covers "
)

func TestSubjectAccessReview(t *testing.T) {
	otherBinder, err := webhook.NewBinder([]byte(strings.Repeat("o", 32)), bindingLifetime)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// change alters the review kube-apiserver would send, or the
		// mappings, before the review is sent.
		change      func(t *testing.T, e *env, spec *authzv1.SubjectAccessReviewSpec)
		attrs       *authzv1.ResourceAttributes
		wantAllowed bool
		wantReason  string // exact, or a prefix when it ends in a space
	}{
		{name: "get pods in dev is allowed by AmazonEKSViewPolicy", attrs: pods("get", "dev"),
			wantAllowed: true, wantReason: allowedInDev},
		{name: "list pods in dev is allowed", attrs: pods("list", "dev"),
			wantAllowed: true, wantReason: allowedInDev},
		{name: "list deployments in dev is allowed",
			attrs:       &authzv1.ResourceAttributes{Verb: "list", Group: "apps", Resource: "deployments", Namespace: "dev"},
			wantAllowed: true, wantReason: allowedInDev},
		{name: "get pods in prod is no opinion", attrs: pods("get", "prod"),
			wantReason: notCoveredPfx + `get pods in namespace "prod"`},
		{name: "get pods across all namespaces is no opinion for a namespace grant", attrs: pods("list", ""),
			wantReason: notCoveredPfx},
		{name: "delete pods in dev is no opinion", attrs: pods("delete", "dev"),
			wantReason: notCoveredPfx + `delete pods in namespace "dev"`},
		{name: "get secrets in dev is no opinion: the view policy excludes secrets",
			attrs: &authzv1.ResourceAttributes{Verb: "get", Resource: "secrets", Namespace: "dev"}, wantReason: notCoveredPfx},
		{
			name:  "missing binding is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) { delete(s.Extra, webhook.ExtraBinding) },
		},
		{
			name:  "binding signed with another key is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, e *env, s *authzv1.SubjectAccessReviewSpec) {
				s.Extra[webhook.ExtraBinding] = authzv1.ExtraValue{otherBinder.Sign(webhook.Subject{Username: s.User, UID: s.UID,
					Groups: s.Groups, ARN: s.Extra[webhook.ExtraARN][0], AccessKeyID: s.Extra[webhook.ExtraAccessKeyID][0]}, e.clock.Now())}
			},
		},
		{
			name:  "tampered binding is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				b := []byte(s.Extra[webhook.ExtraBinding][0])
				b[0] ^= 1
				s.Extra[webhook.ExtraBinding] = authzv1.ExtraValue{string(b)}
			},
		},
		{
			name:  "binding given twice is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				b := s.Extra[webhook.ExtraBinding][0]
				s.Extra[webhook.ExtraBinding] = authzv1.ExtraValue{b, b}
			},
		},
		{
			name:  "impersonating another username with the genuine extras is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) { s.User = "someone-else" },
		},
		{
			name:  "impersonating another ARN with the genuine binding is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				s.Extra[webhook.ExtraARN] = authzv1.ExtraValue{authntest.CreatorARN}
			},
		},
		{
			name:  "another uid with the genuine binding is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				s.UID = "kubeiam:111122223333:AIDAOTHER"
			},
		},
		{
			name:  "system:authenticated, which kube-apiserver adds to every user, is allowed",
			attrs: pods("get", "dev"), wantAllowed: true, wantReason: allowedInDev,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				s.Groups = append([]string{"system:authenticated"}, s.Groups...)
			},
		},
		{
			name:  "extra keys lowercased, as kube-apiserver passes impersonated and front-proxy extras, is allowed",
			attrs: pods("get", "dev"), wantAllowed: true, wantReason: allowedInDev,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				lower := map[string]authzv1.ExtraValue{}
				for k, v := range s.Extra {
					lower[strings.ToLower(k)] = v
				}
				s.Extra = lower
			},
		},
		{
			name:  "one extra key in two spellings with different values is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				s.Extra["accesskeyid"] = authzv1.ExtraValue{"AKIAOTHER"}
			},
		},
		{
			name:  "another group set with the genuine binding is no opinion",
			attrs: pods("get", "dev"), wantReason: notIssued,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) {
				s.Groups = append(s.Groups, "system:masters")
			},
		},
		{
			name:  "a binding used until just before it expires is allowed",
			attrs: pods("get", "dev"), wantAllowed: true, wantReason: allowedInDev,
			change: func(_ *testing.T, e *env, _ *authzv1.SubjectAccessReviewSpec) {
				e.clock.Advance(bindingLifetime - time.Second)
			},
		},
		{
			name:  "an expired binding (copied from an object, say) is no opinion",
			attrs: pods("get", "dev"), wantReason: "identity binding expired (re-authenticate): access policies do not apply",
			change: func(_ *testing.T, e *env, _ *authzv1.SubjectAccessReviewSpec) {
				e.clock.Advance(bindingLifetime)
			},
		},
		{
			name:  "a user without kubeiam extras is no opinion",
			attrs: pods("get", "dev"), wantReason: notKubeiam,
			change: func(_ *testing.T, _ *env, s *authzv1.SubjectAccessReviewSpec) { s.Extra = nil },
		},
		{
			name:  "mapping changed since authentication is no opinion",
			attrs: pods("get", "dev"), wantReason: mappingMoved,
			change: func(t *testing.T, e *env, _ *authzv1.SubjectAccessReviewSpec) {
				e.mapper.Set(authntest.Snapshot(t, "API_AND_CONFIG_MAP", awsAuth, developerEntry("dev-renamed")))
			},
		},
		{
			name:  "access entry deleted since authentication is no opinion",
			attrs: pods("get", "dev"), wantReason: mappingMoved,
			change: func(t *testing.T, e *env, _ *authzv1.SubjectAccessReviewSpec) {
				e.mapper.Set(authntest.Snapshot(t, "API_AND_CONFIG_MAP", awsAuth))
			},
		},
		{
			name:  "policy association removed since authentication is no opinion",
			attrs: pods("get", "dev"), wantReason: "no access policy associated (mapped by accessEntry); RBAC decides",
			change: func(t *testing.T, e *env, _ *authzv1.SubjectAccessReviewSpec) {
				entry := developerEntry("dev-user")
				entry.Grants = nil
				e.mapper.Set(authntest.Snapshot(t, "API_AND_CONFIG_MAP", awsAuth, entry))
			},
		},
		{
			name:  "a policy association added since authentication applies at once",
			attrs: pods("get", "prod"), wantAllowed: true,
			wantReason: `allowed by AmazonEKSViewPolicy in namespace "prod" (scope pattern "prod")`,
			change: func(t *testing.T, e *env, _ *authzv1.SubjectAccessReviewSpec) {
				entry := developerEntry("dev-user")
				entry.Grants[0].Scope.Namespaces = []string{"dev", "prod"}
				e.mapper.Set(authntest.Snapshot(t, "API_AND_CONFIG_MAP", awsAuth, entry))
			},
		},
		{
			name:  "a review without attributes is no opinion",
			attrs: nil, wantReason: "incomplete request attributes: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			spec := sarSpec(e.authenticatedUser(t, e.token(t, e.developer(t))), tt.attrs)
			if tt.change != nil {
				tt.change(t, e, &spec)
			}
			out := e.authorize(t, spec)
			if out.Status.Allowed != tt.wantAllowed {
				t.Errorf("allowed = %v (%s), want %v", out.Status.Allowed, out.Status.Reason, tt.wantAllowed)
			}
			if r := out.Status.Reason; r != tt.wantReason && !(strings.HasSuffix(tt.wantReason, " ") && strings.HasPrefix(r, tt.wantReason)) {
				t.Errorf("reason = %q, want %q", r, tt.wantReason)
			}
			result := "no-opinion"
			if tt.wantAllowed {
				result = "allowed"
			}
			if n := testutil.ToFloat64(e.metrics.Authorizations.WithLabelValues(result)); n != 1 {
				t.Errorf("authorization_decisions_total{%s} = %v, want 1", result, n)
			}
		})
	}
}

func TestSubjectAccessReviewUserWithoutPolicies(t *testing.T) {
	e := newEnv(t)
	session := e.sts.AssumeRole(t, localsts.DevDeveloperUser, authntest.AdminRoleARN, "alice")
	u := e.authenticatedUser(t, e.token(t, session))
	if u.Username != "admin:alice" {
		t.Fatalf("username = %q", u.Username)
	}
	out := e.authorize(t, sarSpec(u, pods("get", "dev")))
	if out.Status.Allowed || out.Status.Reason != "no access policy associated (mapped by mapRoles); RBAC decides" {
		t.Errorf("status = %+v", out.Status)
	}
}

func TestSubjectAccessReviewWithoutBinderGrantsNothing(t *testing.T) {
	e := newEnv(t)
	spec := sarSpec(e.authenticatedUser(t, e.token(t, e.developer(t))), pods("get", "dev"))
	h := &webhook.SubjectAccessReviewHandler{Mapper: e.mapper, Metrics: e.metrics, Logger: discard(), Now: e.clock.Now}
	rec := serve(t, h, http.MethodPost, mustJSON(t, authzv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"}, Spec: spec}))
	var out authzv1.SubjectAccessReview
	decodeStrict(t, rec.Body.Bytes(), &out)
	if rec.Code != http.StatusOK || out.Status.Allowed || out.Status.Denied || out.Status.Reason != notIssued {
		t.Errorf("HTTP %d, status %+v; want no opinion", rec.Code, out.Status)
	}
}

func TestSubjectAccessReviewRefusesMalformedRequests(t *testing.T) {
	bodies := append(malformedBodies("SubjectAccessReview", "authorization.k8s.io/v1"),
		badRequest{"v1alpha1 is not served", http.MethodPost,
			[]byte(`{"apiVersion":"authorization.k8s.io/v1alpha1","kind":"SubjectAccessReview","spec":{}}`),
			http.StatusBadRequest, `apiVersion "authorization.k8s.io/v1alpha1"`},
		badRequest{"v1beta1 with groups of the wrong type", http.MethodPost,
			[]byte(`{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"group":"x"}}`),
			http.StatusBadRequest, "not a JSON review object"},
		badRequest{"extra of the wrong type", http.MethodPost,
			[]byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"extra":{"arn":"x"}}}`),
			http.StatusBadRequest, "not a JSON review object"})
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			status, header, body := e.do(t, tt.method, "/authorize", tt.body)
			if status != tt.status || !strings.Contains(string(body), tt.has) {
				t.Errorf("HTTP %d %q, want %d containing %q", status, body, tt.status, tt.has)
			}
			if status == http.StatusMethodNotAllowed && header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", header.Get("Allow"))
			}
			if n := testutil.ToFloat64(e.metrics.Authorizations.WithLabelValues("bad-request")); n != 1 {
				t.Errorf("authorization_decisions_total{bad-request} = %v, want 1", n)
			}
		})
	}
}

// stubAuth grants every token as user "stub", without groups.
type stubAuth struct{}

func (stubAuth) Authenticate(context.Context, authn.Request) authn.Outcome {
	id := identity.Identity{ARN: authntest.DeveloperARN, CanonicalARN: authntest.DeveloperARN, AccountID: authntest.Account, UserID: "AIDASTUB"}
	return authn.Outcome{Authenticated: true, Identity: &id, UID: "kubeiam:111122223333:AIDASTUB", Class: "granted",
		Result: resolve.Result{Mapped: true, Username: "stub"}}
}

func serve(t *testing.T, h http.Handler, method string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "/", strings.NewReader(string(body))))
	return rec
}

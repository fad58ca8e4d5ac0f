package webhook_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	authzv1beta1 "k8s.io/api/authorization/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// kube-apiserver's --authorization-webhook-version defaults to v1beta1
// (kube-apiserver --help, Kubernetes v1.32), whose spec names the groups
// "group" (k8s.io/api authorization/v1beta1). A cluster configured without
// the flag must get the same decisions as one sending v1, answered in
// v1beta1.
func TestSubjectAccessReviewV1beta1AsKubeAPIServerSendsIt(t *testing.T) {
	for _, tt := range []struct {
		name        string
		attrs       *authzv1.ResourceAttributes
		nonResource *authzv1.NonResourceAttributes
		groups      func([]string) []string
		wantAllowed bool
		wantReason  string
	}{
		{name: "get pods in dev is allowed", attrs: pods("get", "dev"), wantAllowed: true, wantReason: allowedInDev},
		{name: "delete pods in dev is no opinion", attrs: pods("delete", "dev"), wantReason: notCoveredPfx + `delete pods in namespace "dev"`},
		{name: "the groups are read from group: another set is no opinion", attrs: pods("get", "dev"),
			groups: func(g []string) []string { return append(g, "system:masters") }, wantReason: notIssued},
		{name: "a non-resource request is evaluated", nonResource: &authzv1.NonResourceAttributes{Verb: "get", Path: "/healthz"},
			wantReason: notCoveredPfx},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			spec := sarSpec(e.authenticatedUser(t, e.token(t, e.developer(t))), tt.attrs)
			spec.NonResourceAttributes = tt.nonResource
			if tt.groups != nil {
				spec.Groups = tt.groups(spec.Groups)
			}
			body := v1beta1Body(t, spec)
			if !strings.Contains(string(body), `"group":[`) || strings.Contains(string(body), `"groups"`) {
				t.Fatalf("not the v1beta1 wire form: %s", body)
			}
			status, _, raw := e.do(t, http.MethodPost, "/authorize", body)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", status, raw)
			}
			var out authzv1beta1.SubjectAccessReview
			decodeStrict(t, raw, &out)
			if out.APIVersion != "authorization.k8s.io/v1beta1" || out.Kind != "SubjectAccessReview" {
				t.Errorf("answered %s %s, want the version asked", out.APIVersion, out.Kind)
			}
			if out.Status.Allowed != tt.wantAllowed || out.Status.Denied {
				t.Errorf("status = %+v, want allowed %v", out.Status, tt.wantAllowed)
			}
			if r := out.Status.Reason; r != tt.wantReason && !(strings.HasSuffix(tt.wantReason, " ") && strings.HasPrefix(r, tt.wantReason)) {
				t.Errorf("reason = %q, want %q", r, tt.wantReason)
			}
		})
	}
}

// v1beta1Body is the review as kube-apiserver sends it in v1beta1.
func v1beta1Body(t *testing.T, spec authzv1.SubjectAccessReviewSpec) []byte {
	t.Helper()
	in := authzv1beta1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1beta1", Kind: "SubjectAccessReview"},
		Spec:     authzv1beta1.SubjectAccessReviewSpec{User: spec.User, UID: spec.UID, Groups: spec.Groups},
	}
	in.Spec.Extra = map[string]authzv1beta1.ExtraValue{}
	for k, v := range spec.Extra {
		in.Spec.Extra[k] = authzv1beta1.ExtraValue(v)
	}
	if a := spec.ResourceAttributes; a != nil {
		in.Spec.ResourceAttributes = &authzv1beta1.ResourceAttributes{Verb: a.Verb, Group: a.Group, Version: a.Version,
			Resource: a.Resource, Subresource: a.Subresource, Namespace: a.Namespace, Name: a.Name}
	}
	if a := spec.NonResourceAttributes; a != nil {
		in.Spec.NonResourceAttributes = &authzv1beta1.NonResourceAttributes{Verb: a.Verb, Path: a.Path}
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

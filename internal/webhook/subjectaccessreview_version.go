package webhook

import (
	"encoding/json"
	"fmt"

	authzv1 "k8s.io/api/authorization/v1"
	authzv1beta1 "k8s.io/api/authorization/v1beta1"
)

// kube-apiserver sends SubjectAccessReviews in the version its
// --authorization-webhook-version names, and that flag's default is still
// v1beta1 (kube-apiserver --help, Kubernetes v1.32), so a cluster
// configured without it sends authorization.k8s.io/v1beta1. The two
// versions differ on the wire in one field: the spec's groups are "group"
// in v1beta1 (k8s.io/api authorization/v1beta1 SubjectAccessReviewSpec)
// and "groups" in v1; the status is the same. The answer is written in the
// version asked.

// decodeSubjectAccessReview reads a SubjectAccessReview of either served
// version as a v1 object, keeping the version asked in its TypeMeta.
// A v1 review, what kubeiam init and the lab configure, is decoded once.
func decodeSubjectAccessReview(body []byte, out *authzv1.SubjectAccessReview) error {
	if err := json.Unmarshal(body, out); err != nil || out.APIVersion != authzv1beta1.SchemeGroupVersion.String() {
		return err
	}
	var in authzv1beta1.SubjectAccessReview
	if err := json.Unmarshal(body, &in); err != nil {
		return err
	}
	return fromV1beta1(&in, out)
}

// fromV1beta1 converts a v1beta1 review to v1. The attribute types have the
// same fields and JSON names in both versions, so they convert through
// their JSON form; the groups are moved by hand.
func fromV1beta1(in *authzv1beta1.SubjectAccessReview, out *authzv1.SubjectAccessReview) error {
	*out = authzv1.SubjectAccessReview{TypeMeta: in.TypeMeta, ObjectMeta: in.ObjectMeta}
	s := in.Spec
	out.Spec = authzv1.SubjectAccessReviewSpec{User: s.User, Groups: s.Groups, UID: s.UID}
	if s.Extra != nil {
		out.Spec.Extra = make(map[string]authzv1.ExtraValue, len(s.Extra))
		for k, v := range s.Extra {
			out.Spec.Extra[k] = authzv1.ExtraValue(v)
		}
	}
	if s.ResourceAttributes != nil {
		out.Spec.ResourceAttributes = new(authzv1.ResourceAttributes)
		if err := convertJSON(s.ResourceAttributes, out.Spec.ResourceAttributes); err != nil {
			return fmt.Errorf("spec.resourceAttributes: %w", err)
		}
	}
	if s.NonResourceAttributes != nil {
		out.Spec.NonResourceAttributes = new(authzv1.NonResourceAttributes)
		if err := convertJSON(s.NonResourceAttributes, out.Spec.NonResourceAttributes); err != nil {
			return fmt.Errorf("spec.nonResourceAttributes: %w", err)
		}
	}
	return nil
}

func convertJSON(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

package kubestore

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// claimToken claims e's clientRequestToken for the CreateAccessEntry that
// makes e, by creating its RequestToken (named after the token, so the API
// server lets one writer create it), before the entry itself. It returns
// the UID of the claim when this call made it (the caller releases it if
// the entry is not created), "" when the claim was there already for this
// same request (an earlier attempt of it), and ErrTokenReused when another
// request holds it.
func (s *Store) claimToken(ctx context.Context, e access.AccessEntry, entryName string) (types.UID, error) {
	digest, err := access.CreateDigest(e)
	if err != nil {
		return "", err
	}
	obj := &v1alpha1.RequestToken{
		TypeMeta: typeMeta("RequestToken"),
		Spec: v1alpha1.RequestTokenSpec{
			Operation: "CreateAccessEntry", ClientRequestToken: e.ClientRequestToken,
			PrincipalARN: e.PrincipalARN, RequestDigest: digest,
		},
	}
	obj.Name = v1alpha1.RequestTokenName(e.ClientRequestToken)
	obj.Labels = map[string]string{v1alpha1.AccessEntryLabel: entryName}
	u, err := toUnstructured(obj)
	if err != nil {
		return "", err
	}
	for range maxAttempts {
		created, err := s.tokens.Create(ctx, u, metav1.CreateOptions{})
		if err == nil {
			return created.GetUID(), nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("claim clientRequestToken (request token %s): %w", obj.Name, err)
		}
		cur, err := s.tokens.Get(ctx, obj.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue // released by a request that failed meanwhile: claim it again
		}
		if err != nil {
			return "", fmt.Errorf("read request token %s: %w", obj.Name, err)
		}
		held, err := fromUnstructured[v1alpha1.RequestToken](cur)
		if err != nil {
			return "", err
		}
		if held.Spec.RequestDigest != digest || held.Spec.ClientRequestToken != e.ClientRequestToken {
			return "", access.ErrTokenReused()
		}
		return "", nil
	}
	return "", fmt.Errorf("claim clientRequestToken (request token %s): claimed and released %d times by other requests", obj.Name, maxAttempts)
}

// releaseToken deletes the claim uid of token, made by a request whose
// entry was not created, or whose entry is deleted: the token is free
// again. A failure is logged: a claim left behind refuses only other
// requests with the same token.
func (s *Store) releaseToken(ctx context.Context, token string, uid types.UID) {
	name := v1alpha1.RequestTokenName(token)
	err := s.tokens.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		s.log.Warn("request token not released", "request_token", name, "error", err)
	}
}

// releaseEntryToken releases the claim of the token that created the
// AccessEntry entryName, which has been deleted.
func (s *Store) releaseEntryToken(ctx context.Context, token, entryName string) {
	if token == "" {
		return
	}
	cur, err := s.tokens.Get(ctx, v1alpha1.RequestTokenName(token), metav1.GetOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) {
			s.log.Warn("request token not released", "request_token", v1alpha1.RequestTokenName(token), "error", err)
		}
		return
	}
	if cur.GetLabels()[v1alpha1.AccessEntryLabel] == entryName {
		s.releaseToken(ctx, token, cur.GetUID())
	}
}

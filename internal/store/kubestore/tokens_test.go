package kubestore_test

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// TestRequestTokenObjects: a CreateAccessEntry's clientRequestToken is a
// RequestToken object, labelled with its entry and deleted with it; a
// claim left by an attempt that stopped before creating its entry lets that
// same request finish, and refuses another.
func TestRequestTokenObjects(t *testing.T) {
	client := apiClient(t)
	reset(t, client)
	s := newStore(t, client)
	_, err := s.PutCluster(storetest.Config(), 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tokens := client.Resource(v1alpha1.RequestTokenGVR())

	e := storetest.Entry(t, storetest.RoleARN("Dev"))
	e.ClientRequestToken = "claimed-1"
	if err := s.CreateEntry(e); err != nil {
		t.Fatal(err)
	}
	entryName, _ := v1alpha1.AccessEntryName(e.PrincipalARN)
	claim, err := tokens.Get(ctx, v1alpha1.RequestTokenName("claimed-1"), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no RequestToken after the create: %v", err)
	}
	if got := claim.GetLabels()[v1alpha1.AccessEntryLabel]; got != entryName {
		t.Errorf("label %s = %q, want %q", v1alpha1.AccessEntryLabel, got, entryName)
	}
	if err := s.DeleteEntry(e.PrincipalARN); err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Get(ctx, v1alpha1.RequestTokenName("claimed-1"), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the RequestToken outlived its entry: %v", err)
	}

	// An attempt that claimed its token and stopped: the claim, no entry.
	claim.SetResourceVersion("")
	claim.SetUID("")
	if _, err := tokens.Create(ctx, &unstructured.Unstructured{Object: claim.Object}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	other := storetest.Entry(t, storetest.RoleARN("Ops"))
	other.ClientRequestToken = "claimed-1"
	if err := s.CreateEntry(other); access.TypeOf(err) != access.InvalidRequestException {
		t.Errorf("another request with the claimed token: %v, want InvalidRequestException", err)
	}
	if err := s.CreateEntry(e); err != nil {
		t.Errorf("the same request sent again: %v", err)
	}
	if got, err := s.GetEntry(e.PrincipalARN); err != nil || got.ClientRequestToken != "claimed-1" {
		t.Errorf("GetEntry = %+v, %v", got, err)
	}
}

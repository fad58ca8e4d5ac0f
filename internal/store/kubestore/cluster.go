package kubestore

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
	"github.com/kubeiam/kubeiam/internal/store"
)

// GetCluster returns the cached cluster configuration, or a
// ResourceNotFoundException when there is no AccessConfig.
func (s *Store) GetCluster() (access.ClusterConfig, error) {
	if s.closed.Load() {
		return access.ClusterConfig{}, store.ErrClosed
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.cluster.Version == 0 {
		return access.ClusterConfig{}, &access.Error{Type: access.ResourceNotFoundException, Message: "No cluster configuration has been stored."}
	}
	return s.cluster.Clone(), nil
}

// PutClusterWithEntry creates e with assocs (an existing entry for the
// principal is kept), then stores c as PutCluster does. The API has no
// write spanning two objects, so the entry goes first: an entry is inert
// until the mode uses access entries, so there is no instant in which the
// new mode is stored without it, and a retry after a failure between the
// two writes ends in the same state.
func (s *Store) PutClusterWithEntry(c access.ClusterConfig, expectedVersion int64, e access.AccessEntry, assocs ...access.AccessPolicyAssociation) (access.ClusterConfig, error) {
	if err := c.Validate(); err != nil {
		return access.ClusterConfig{}, err
	}
	// Refuse what PutCluster would refuse before writing the entry; the
	// cache may lag, and PutCluster checks again on what it reads.
	if cur, err := s.GetCluster(); err == nil {
		if cur.Version != expectedVersion {
			return access.ClusterConfig{}, fmt.Errorf("%w (stored version %d, expected %d)", store.ErrConflict, cur.Version, expectedVersion)
		}
		if cur.AuthenticationMode != c.AuthenticationMode {
			if err := access.ValidateModeChange(cur.AuthenticationMode, c.AuthenticationMode); err != nil {
				return access.ClusterConfig{}, err
			}
		}
	}
	if err := s.CreateEntry(e, assocs...); err != nil && access.TypeOf(err) != access.ResourceInUseException {
		return access.ClusterConfig{}, err
	}
	return s.PutCluster(c, expectedVersion)
}

// PutCluster writes the AccessConfig if it is still at expectedVersion (its
// metadata.generation; 0: none yet), reading it from the API and writing on
// the resourceVersion read, so that of racing writers exactly one wins and
// the others get store.ErrConflict. A mode change is checked against the
// version read (access.ValidateModeChange); the CRD's transition rule
// refuses a backward change from any other writer too.
func (s *Store) PutCluster(c access.ClusterConfig, expectedVersion int64) (access.ClusterConfig, error) {
	if s.closed.Load() {
		return access.ClusterConfig{}, store.ErrClosed
	}
	if err := c.Validate(); err != nil {
		return access.ClusterConfig{}, err
	}
	ctx, cancel := s.call()
	defer cancel()
	cur, err := s.configs.Get(ctx, v1alpha1.AccessConfigName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		return access.ClusterConfig{}, fmt.Errorf("read access config: %w", err)
	}
	var stored int64
	if cur != nil {
		stored = cur.GetGeneration()
	}
	if stored != expectedVersion {
		return access.ClusterConfig{}, fmt.Errorf("%w (stored version %d, expected %d)", store.ErrConflict, stored, expectedVersion)
	}
	if cur != nil {
		if mode, _, _ := unstructured.NestedString(cur.Object, "spec", "authenticationMode"); mode != string(c.AuthenticationMode) {
			if err := access.ValidateModeChange(access.Mode(mode), c.AuthenticationMode); err != nil {
				return access.ClusterConfig{}, err
			}
		}
	}
	u, err := toUnstructured(ConfigObject(c))
	if err != nil {
		return access.ClusterConfig{}, err
	}
	var written *unstructured.Unstructured
	if cur == nil {
		written, err = s.configs.Create(ctx, u, metav1.CreateOptions{})
	} else {
		// The spec is replaced on the object read, whose metadata (labels,
		// kubectl's annotations, the resourceVersion) is kept.
		cur.Object["spec"] = u.Object["spec"]
		if st, ok := u.Object["status"]; ok {
			cur.Object["status"] = st
		} else {
			delete(cur.Object, "status")
		}
		written, err = s.configs.Update(ctx, cur, metav1.UpdateOptions{})
	}
	if apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
		return access.ClusterConfig{}, fmt.Errorf("%w: %w", store.ErrConflict, err)
	}
	if err != nil {
		return access.ClusterConfig{}, fmt.Errorf("write access config: %w", err)
	}
	s.waitForRV("write access config", v1alpha1.AccessConfigResource, written.GetResourceVersion())
	c.Version = written.GetGeneration()
	return c, nil
}

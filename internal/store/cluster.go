package store

import (
	"fmt"

	"github.com/kubeiam/kubeiam/internal/access"
)

// errNoCluster is the refusal for a store whose cluster config was never
// written.
func errNoCluster() error {
	return &access.Error{Type: access.ResourceNotFoundException, Message: "No cluster configuration has been stored."}
}

// GetCluster returns the cluster's access configuration, or a
// ResourceNotFoundException when none has been stored.
func (s *Store) GetCluster() (access.ClusterConfig, error) {
	var c access.ClusterConfig
	err := s.backend.View(func(tx Tx) error {
		var err error
		c, err = getCluster(tx)
		return err
	})
	return c, err
}

func getCluster(tx Tx) (access.ClusterConfig, error) {
	b := tx.Get(bucketCluster, keyCluster)
	if b == nil {
		return access.ClusterConfig{}, errNoCluster()
	}
	return decodeCluster(b)
}

// PutCluster stores c if the stored config is still at expectedVersion (0:
// none stored yet) and returns it at its new version, expectedVersion+1.
// Otherwise it fails with ErrConflict and the caller should read the config
// again and redo its checks (ValidateModeChange among them) before retrying.
// c.Version is ignored; c must pass Validate, and a change of
// authentication mode must pass access.ValidateModeChange, checked in the
// same transaction so that no interleaving can take the mode backwards.
func (s *Store) PutCluster(c access.ClusterConfig, expectedVersion int64) (access.ClusterConfig, error) {
	return s.putCluster(c, expectedVersion, nil)
}

// PutClusterWithEntry is PutCluster that, in the same transaction, creates
// e with assocs unless an entry for e's principal exists (which is kept).
func (s *Store) PutClusterWithEntry(c access.ClusterConfig, expectedVersion int64, e access.AccessEntry, assocs ...access.AccessPolicyAssociation) (access.ClusterConfig, error) {
	key, err := entryWithAssociations(e, assocs)
	if err != nil {
		return access.ClusterConfig{}, err
	}
	return s.putCluster(c, expectedVersion, func(tx Tx) error {
		if tx.Get(bucketEntries, key) != nil {
			return nil
		}
		return putEntry(tx, key, e, assocs)
	})
}

func (s *Store) putCluster(c access.ClusterConfig, expectedVersion int64, also func(Tx) error) (access.ClusterConfig, error) {
	if err := c.Validate(); err != nil {
		return access.ClusterConfig{}, err
	}
	c.Version = expectedVersion + 1
	err := s.update(func(tx Tx) error {
		var stored access.ClusterConfig
		if b := tx.Get(bucketCluster, keyCluster); b != nil {
			var err error
			if stored, err = decodeCluster(b); err != nil {
				return err
			}
		}
		if stored.Version != expectedVersion {
			return fmt.Errorf("%w (stored version %d, expected %d)", ErrConflict, stored.Version, expectedVersion)
		}
		if stored.Version > 0 && stored.AuthenticationMode != c.AuthenticationMode {
			if err := access.ValidateModeChange(stored.AuthenticationMode, c.AuthenticationMode); err != nil {
				return err
			}
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		return putJSON(tx, bucketCluster, keyCluster, c, encodeCluster)
	})
	if err != nil {
		return access.ClusterConfig{}, err
	}
	return c, nil
}

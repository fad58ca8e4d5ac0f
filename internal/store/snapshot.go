package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
)

// Snapshot reads the whole access management state in one transaction: the
// cluster config (zero, Version 0, when none is stored), every entry and
// every association, and the generation they were read at. The result
// shares nothing with the store.
func (s *Store) Snapshot() (access.Snapshot, error) {
	snap := access.Snapshot{
		Entries:      make(map[string]access.AccessEntry),
		Associations: make(map[string][]access.AccessPolicyAssociation),
	}
	err := s.backend.View(func(tx Tx) error {
		c, err := getCluster(tx)
		var refusal *access.Error
		switch {
		case errors.As(err, &refusal) && refusal.Type == access.ResourceNotFoundException:
		case err != nil:
			return err
		default:
			snap.Cluster = c
		}
		if snap.Generation, err = readGeneration(tx); err != nil {
			return err
		}
		err = tx.Scan(bucketEntries, "", func(key string, v []byte) (bool, error) {
			e, err := decodeEntry(key, v)
			snap.Entries[key] = e
			return err == nil, err
		})
		if err != nil {
			return err
		}
		return tx.Scan(bucketAssociations, "", func(key string, v []byte) (bool, error) {
			entryKey, _, ok := strings.Cut(key, "\x00")
			if !ok {
				return false, fmt.Errorf("association key %q: no separator", key)
			}
			a, err := decodeAssociation(key, v)
			if err != nil {
				return false, err
			}
			snap.Associations[entryKey] = append(snap.Associations[entryKey], a)
			return true, nil
		})
	})
	if err != nil {
		return access.Snapshot{}, err
	}
	return snap, nil
}

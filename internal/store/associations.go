package store

import (
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// Associate associates policyARN with the principal's entry in scope at now
// (see access.Associate: associating an associated policy again replaces
// its scope) and returns the association.
func (s *Store) Associate(principalARN, policyARN string, scope authz.Scope, now time.Time) (access.AccessPolicyAssociation, error) {
	key, err := access.EntryKey(principalARN)
	if err != nil {
		return access.AccessPolicyAssociation{}, err
	}
	var a access.AccessPolicyAssociation
	err = s.update(func(tx Tx) error {
		e, err := getEntry(tx, key)
		if err != nil {
			return err
		}
		existing, err := listAssociations(tx, key)
		if err != nil {
			return err
		}
		if a, err = access.Associate(e, existing, policyARN, scope, now); err != nil {
			return err
		}
		return putJSON(tx, bucketAssociations, associationKey(key, policyARN), a, encodeAssociation)
	})
	if err != nil {
		return access.AccessPolicyAssociation{}, err
	}
	return a, nil
}

// Disassociate removes the association of policyARN from the principal's
// entry.
func (s *Store) Disassociate(principalARN, policyARN string) error {
	key, err := access.EntryKey(principalARN)
	if err != nil {
		return err
	}
	return s.update(func(tx Tx) error {
		if tx.Get(bucketEntries, key) == nil {
			return access.ErrEntryNotFound()
		}
		k := associationKey(key, policyARN)
		if tx.Get(bucketAssociations, k) == nil {
			return access.ErrAssociationNotFound(policyARN)
		}
		return tx.Delete(bucketAssociations, k)
	})
}

// ListAssociations returns the policy associations of the principal's
// entry, sorted by policy ARN.
func (s *Store) ListAssociations(principalARN string) ([]access.AccessPolicyAssociation, error) {
	key, err := access.EntryKey(principalARN)
	if err != nil {
		return nil, err
	}
	var out []access.AccessPolicyAssociation
	err = s.backend.View(func(tx Tx) error {
		if tx.Get(bucketEntries, key) == nil {
			return access.ErrEntryNotFound()
		}
		out, err = listAssociations(tx, key)
		return err
	})
	return out, err
}

func listAssociations(tx Tx, entryKey string) ([]access.AccessPolicyAssociation, error) {
	var out []access.AccessPolicyAssociation
	prefix := associationPrefix(entryKey)
	err := tx.Scan(bucketAssociations, prefix, func(k string, v []byte) (bool, error) {
		if !strings.HasPrefix(k, prefix) {
			return false, nil
		}
		a, err := decodeAssociation(k, v)
		if err != nil {
			return false, err
		}
		out = append(out, a)
		return true, nil
	})
	return out, err
}

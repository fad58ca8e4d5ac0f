package store

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
)

// CreateEntry stores a new access entry (built by access.NewEntry) and, in
// the same transaction, its initial policy associations (the creator's
// bootstrap entry comes with one) and the claim of its clientRequestToken
// (see claimCreateToken). It fails with a ResourceInUseException when an
// entry for the same principal key exists, whatever the path or case of
// its ARN.
func (s *Store) CreateEntry(e access.AccessEntry, assocs ...access.AccessPolicyAssociation) error {
	key, err := entryWithAssociations(e, assocs)
	if err != nil {
		return err
	}
	err = s.update(func(tx Tx) error {
		if e.ClientRequestToken != "" {
			if err := claimCreateToken(tx, key, e); err != nil {
				return err
			}
		}
		if tx.Get(bucketEntries, key) != nil {
			return access.ErrEntryInUse()
		}
		return putEntry(tx, key, e, assocs)
	})
	if errors.Is(err, errReplayed) {
		return nil
	}
	return err
}

// entryWithAssociations returns e's principal key, checking that assocs
// are e's.
func entryWithAssociations(e access.AccessEntry, assocs []access.AccessPolicyAssociation) (string, error) {
	key, err := access.EntryKey(e.PrincipalARN)
	if err != nil {
		return "", err
	}
	for _, a := range assocs {
		if k, err := access.EntryKey(a.PrincipalARN); err != nil || k != key {
			return "", fmt.Errorf("create entry %q: association for another principal %q", e.PrincipalARN, a.PrincipalARN)
		}
	}
	return key, nil
}

func putEntry(tx Tx, key string, e access.AccessEntry, assocs []access.AccessPolicyAssociation) error {
	if err := putJSON(tx, bucketEntries, key, e, encodeEntry); err != nil {
		return err
	}
	for _, a := range assocs {
		if err := putJSON(tx, bucketAssociations, associationKey(key, a.PolicyARN), a, encodeAssociation); err != nil {
			return err
		}
	}
	return nil
}

// GetEntry returns the access entry of a principal: the principal's own
// ARN, with or without path, in any case of its name, or one of its
// assumed-role sessions.
func (s *Store) GetEntry(principalARN string) (access.AccessEntry, error) {
	key, err := access.EntryKey(principalARN)
	if err != nil {
		return access.AccessEntry{}, err
	}
	var e access.AccessEntry
	err = s.backend.View(func(tx Tx) error {
		e, err = getEntry(tx, key)
		return err
	})
	return e, err
}

func getEntry(tx Tx, key string) (access.AccessEntry, error) {
	b := tx.Get(bucketEntries, key)
	if b == nil {
		return access.AccessEntry{}, access.ErrEntryNotFound()
	}
	return decodeEntry(key, b)
}

// ListEntries returns up to maxResults entries (0 means access.MaxResults)
// in principal key order, starting after nextToken ("" for the first page),
// and the token of the next page, "" after the last. A token stays valid
// when entries are created or deleted between pages.
func (s *Store) ListEntries(maxResults int, nextToken string) ([]access.AccessEntry, string, error) {
	if maxResults == 0 {
		maxResults = access.MaxResults
	}
	if maxResults < 1 || maxResults > access.MaxResults {
		return nil, "", access.ErrInvalidMaxResults(maxResults)
	}
	start, err := decodeToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	var page []access.AccessEntry
	var token string
	err = s.backend.View(func(tx Tx) error {
		var last string
		return tx.Scan(bucketEntries, start, func(key string, value []byte) (bool, error) {
			if len(page) == maxResults {
				token = encodeToken(last)
				return false, nil
			}
			e, err := decodeEntry(key, value)
			if err != nil {
				return false, err
			}
			page, last = append(page, e), key
			return true, nil
		})
	})
	if err != nil {
		return nil, "", err
	}
	return page, token, nil
}

// A page token is the last key returned, base64url-encoded; the next page
// starts at the smallest key after it (the key with a NUL appended).
func encodeToken(lastKey string) string { return base64.RawURLEncoding.EncodeToString([]byte(lastKey)) }

func decodeToken(token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || !strings.HasPrefix(string(b), "arn:") {
		return "", access.ErrInvalidNextToken()
	}
	return string(b) + "\x00", nil
}

// UpdateEntry applies an UpdateAccessEntry request (see access.UpdateEntry)
// to the principal's entry at now and returns the updated entry.
// A request already done (access.ReplayedUpdate) gets the entry as it is,
// and nothing is written.
func (s *Store) UpdateEntry(principalARN string, req access.UpdateEntryRequest, now time.Time) (access.AccessEntry, error) {
	var current access.AccessEntry
	updated, err := s.editEntry(principalARN, func(e access.AccessEntry) (access.AccessEntry, error) {
		if done, err := access.ReplayedUpdate(e, req); err != nil || done {
			current = e
			return e, cmp.Or(err, errReplayed)
		}
		return access.UpdateEntry(e, req, now)
	})
	if errors.Is(err, errReplayed) {
		return current, nil
	}
	return updated, err
}

// EditEntryTags replaces the principal's entry's tags with what edit
// returns for the current ones, in one transaction.
func (s *Store) EditEntryTags(principalARN string, edit func(map[string]string) (map[string]string, error)) (access.AccessEntry, error) {
	return s.editEntry(principalARN, func(e access.AccessEntry) (access.AccessEntry, error) {
		var err error
		e.Tags, err = edit(e.Tags)
		return e, err
	})
}

// editEntry replaces the principal's entry with what change returns for
// it, in one transaction, and returns the new entry.
func (s *Store) editEntry(principalARN string, change func(access.AccessEntry) (access.AccessEntry, error)) (access.AccessEntry, error) {
	key, err := access.EntryKey(principalARN)
	if err != nil {
		return access.AccessEntry{}, err
	}
	var updated access.AccessEntry
	err = s.update(func(tx Tx) error {
		e, err := getEntry(tx, key)
		if err != nil {
			return err
		}
		if updated, err = change(e); err != nil {
			return err
		}
		return putJSON(tx, bucketEntries, key, updated, encodeEntry)
	})
	if err != nil {
		return access.AccessEntry{}, err
	}
	return updated, nil
}

// DeleteEntry deletes the principal's entry and, in the same transaction,
// all its policy associations.
func (s *Store) DeleteEntry(principalARN string) error {
	key, err := access.EntryKey(principalARN)
	if err != nil {
		return err
	}
	return s.update(func(tx Tx) error {
		e, err := getEntry(tx, key)
		if err != nil {
			return err
		}
		if err := releaseCreateToken(tx, key, e); err != nil {
			return err
		}
		var assocKeys []string
		prefix := associationPrefix(key)
		err = tx.Scan(bucketAssociations, prefix, func(k string, _ []byte) (bool, error) {
			if !strings.HasPrefix(k, prefix) {
				return false, nil
			}
			assocKeys = append(assocKeys, k)
			return true, nil
		})
		if err != nil {
			return err
		}
		// Deleted after the scan: a bucket must not change under a cursor.
		for _, k := range assocKeys {
			if err := tx.Delete(bucketAssociations, k); err != nil {
				return err
			}
		}
		return tx.Delete(bucketEntries, key)
	})
}

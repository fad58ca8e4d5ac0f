package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kubeiam/kubeiam/internal/access"
)

// errReplayed aborts the transaction of a request that was done already
// (see access.TokenUse): the request succeeds and nothing is written.
var errReplayed = errors.New("request already done")

// claimCreateToken claims e's clientRequestToken for the CreateAccessEntry
// that makes e, in the transaction that writes e: of two requests with one
// token, the second to commit sees the first's claim. It returns
// errReplayed when the token was claimed by this same request, whose entry
// is then stored (a claim is deleted with its entry), and ErrTokenReused
// when another request claimed it.
func claimCreateToken(tx Tx, key string, e access.AccessEntry) error {
	digest, err := access.CreateDigest(e)
	if err != nil {
		return err
	}
	if b := tx.Get(bucketCreateTokens, e.ClientRequestToken); b != nil {
		var c tokenClaim
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("decode the claim of a clientRequestToken: %w", err)
		}
		if c.EntryKey != key || c.Digest != digest {
			return access.ErrTokenReused()
		}
		return errReplayed
	}
	b, err := json.Marshal(tokenClaim{EntryKey: key, Digest: digest})
	if err != nil {
		return fmt.Errorf("encode the claim of a clientRequestToken: %w", err)
	}
	return tx.Put(bucketCreateTokens, e.ClientRequestToken, b)
}

// releaseCreateToken deletes the claim of the token that created e (stored
// under key), when e is deleted: the token is free again.
func releaseCreateToken(tx Tx, key string, e access.AccessEntry) error {
	if e.ClientRequestToken == "" {
		return nil
	}
	b := tx.Get(bucketCreateTokens, e.ClientRequestToken)
	if b == nil {
		return nil
	}
	var c tokenClaim
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("decode the claim of a clientRequestToken: %w", err)
	}
	if c.EntryKey != key {
		return nil
	}
	return tx.Delete(bucketCreateTokens, e.ClientRequestToken)
}

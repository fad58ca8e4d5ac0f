package store

import (
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/kubeiam/kubeiam/internal/access"
)

// CopyReport says what Copy did.
type CopyReport struct {
	// Created are the principal ARNs of the entries created in the target.
	Created []string
	// Present are those whose entry the target had already, with the same
	// content (Copy is idempotent) and Differ those it had with another
	// content, which Copy leaves alone.
	Present, Differ []string
	// Cluster is what became of the cluster configuration: "created",
	// "present", "mode moved forward" or "differs".
	Cluster string
}

// Copy copies the state of from into to, idempotently: a second run changes
// nothing. Entries (with their associations) are created first and the
// cluster configuration last, so that a target switched into an API mode
// already has every entry, the creator's included. What the target has
// already is kept: an entry of the same principal is not overwritten, and
// a configuration is only moved forward in mode.
func Copy(from, to Port) (CopyReport, error) {
	var r CopyReport
	snap, err := from.Snapshot()
	if err != nil {
		return r, fmt.Errorf("read the source: %w", err)
	}
	keys := make([]string, 0, len(snap.Entries))
	for k := range snap.Entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e, assocs := snap.Entries[k], snap.Associations[k]
		err := to.CreateEntry(e, assocs...)
		if access.TypeOf(err) == access.InvalidRequestException && e.ClientRequestToken != "" {
			// The target holds the entry's clientRequestToken for another
			// entry (stores from before tokens were claimed atomically may
			// have two entries with one token): the entry is copied, the
			// token stays with the entry that holds it.
			e.ClientRequestToken = ""
			err = to.CreateEntry(e, assocs...)
		}
		switch {
		case err == nil:
			r.Created = append(r.Created, e.PrincipalARN)
		case access.TypeOf(err) == access.ResourceInUseException:
			same, err := sameEntry(to, e, assocs)
			if err != nil {
				return r, err
			}
			if same {
				r.Present = append(r.Present, e.PrincipalARN)
			} else {
				r.Differ = append(r.Differ, e.PrincipalARN)
			}
		default:
			return r, fmt.Errorf("copy access entry %s: %w", e.PrincipalARN, err)
		}
	}
	if snap.Cluster.Version == 0 {
		r.Cluster = "none in the source"
		return r, nil
	}
	r.Cluster, err = copyCluster(snap.Cluster, to)
	return r, err
}

func sameEntry(to Port, e access.AccessEntry, assocs []access.AccessPolicyAssociation) (bool, error) {
	got, err := to.GetEntry(e.PrincipalARN)
	if err != nil {
		return false, fmt.Errorf("read access entry %s in the target: %w", e.PrincipalARN, err)
	}
	gotAssocs, err := to.ListAssociations(e.PrincipalARN)
	if err != nil {
		return false, fmt.Errorf("read associations of %s in the target: %w", e.PrincipalARN, err)
	}
	// The idempotency tokens are bookkeeping of the requests, not the entry.
	got.ClientRequestToken, got.UpdateTokens = "", nil
	e.ClientRequestToken, e.UpdateTokens = "", nil
	return reflect.DeepEqual(got, e) && len(gotAssocs) == len(assocs) && (len(assocs) == 0 || reflect.DeepEqual(gotAssocs, assocs)), nil
}

func copyCluster(c access.ClusterConfig, to Port) (string, error) {
	cur, err := to.GetCluster()
	if access.TypeOf(err) == access.ResourceNotFoundException {
		if _, err := to.PutCluster(c, 0); err != nil {
			return "", fmt.Errorf("copy the cluster configuration: %w", err)
		}
		return "created", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the target's cluster configuration: %w", err)
	}
	src := c
	src.Version = cur.Version
	switch {
	case reflect.DeepEqual(src, cur) || src.AuthenticationMode == cur.AuthenticationMode && src.Name == cur.Name:
		return "present", nil
	case access.ValidateModeChange(cur.AuthenticationMode, c.AuthenticationMode) == nil:
		next := cur
		next.AuthenticationMode = c.AuthenticationMode
		if _, err := to.PutCluster(next, cur.Version); err != nil {
			if errors.Is(err, ErrConflict) {
				return "", fmt.Errorf("copy the cluster configuration: it changed meanwhile, run the copy again: %w", err)
			}
			return "", fmt.Errorf("copy the cluster configuration: %w", err)
		}
		return "mode moved forward", nil
	}
	return "differs", nil
}

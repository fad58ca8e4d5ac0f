package store

import (
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// Port is the typed access management store every caller (the access
// management API, the server's mapper, the migration and copy commands)
// uses. Two adapters implement it: *Store, over a transactional key-value
// Backend (bolt, an embedded file; memory, for tests), and
// kubestore.Store, over kubeiam's resources in the Kubernetes API, which
// has per-object optimistic concurrency and no transactions, and so is an
// adapter of this typed port rather than of Backend. Both pass the
// conformance suite in package storetest (RunPort).
//
// Every adapter keeps the EKS invariants: one entry per principal key
// (CreateEntry of a taken principal is a ResourceInUseException), an
// entry's associations are deleted with it, PutCluster is optimistic
// (ErrConflict) and never moves the authentication mode backwards.
// Refusals are *access.Error values; other errors are failures.
type Port interface {
	// Close releases the store; later calls fail with ErrClosed.
	Close() error
	// Generation grows with every change the store has seen; cheap.
	Generation() uint64
	// Subscribe returns a channel that receives a value after changes
	// (coalesced) and a function that ends the subscription.
	Subscribe() (<-chan struct{}, func())
	// Snapshot returns the whole state, consistent, owned by the caller.
	Snapshot() (access.Snapshot, error)

	GetCluster() (access.ClusterConfig, error)
	PutCluster(c access.ClusterConfig, expectedVersion int64) (access.ClusterConfig, error)
	// PutClusterWithEntry is PutCluster that also creates an access entry
	// (the creator's bootstrap entry) with its associations, keeping an
	// entry for the same principal that exists. *Store writes both in one
	// transaction; kubestore, which has no transaction spanning two
	// objects, writes the entry first, so that no instant has the new mode
	// without the entry and a retry after a failure between the writes ends
	// in the same state.
	PutClusterWithEntry(c access.ClusterConfig, expectedVersion int64, e access.AccessEntry, assocs ...access.AccessPolicyAssociation) (access.ClusterConfig, error)

	// CreateEntry creates e with assocs. With e.ClientRequestToken set,
	// the token is claimed atomically with the write (access.TokenUse): a
	// token another request claimed is refused (access.ErrTokenReused),
	// whichever principal that request was for, and the request that
	// claimed it, sent again, succeeds without a write (GetEntry then
	// returns the entry it made).
	CreateEntry(e access.AccessEntry, assocs ...access.AccessPolicyAssociation) error
	GetEntry(principalARN string) (access.AccessEntry, error)
	ListEntries(maxResults int, nextToken string) ([]access.AccessEntry, string, error)
	// UpdateEntry applies req to the principal's entry, in the same
	// atomic write as the check of req's clientRequestToken: an update the
	// entry has had already returns the entry without a write.
	UpdateEntry(principalARN string, req access.UpdateEntryRequest, now time.Time) (access.AccessEntry, error)
	DeleteEntry(principalARN string) error
	// EditEntryTags replaces the principal's entry's tags with what edit
	// returns for the current ones (TagResource, UntagResource), atomically.
	EditEntryTags(principalARN string, edit func(map[string]string) (map[string]string, error)) (access.AccessEntry, error)

	Associate(principalARN, policyARN string, scope authz.Scope, now time.Time) (access.AccessPolicyAssociation, error)
	Disassociate(principalARN, policyARN string) error
	ListAssociations(principalARN string) ([]access.AccessPolicyAssociation, error)
}

var _ Port = (*Store)(nil)

package access

import (
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// Snapshot is everything the authenticator and the authorizer need from the
// access management state, read at one instant. Treat it as immutable: it is
// shared by every request until the next reload.
type Snapshot struct {
	// Cluster is the cluster's access configuration; its Version is 0 when
	// none has been stored yet.
	Cluster ClusterConfig
	// Entries are the access entries by EntryKey.
	Entries map[string]AccessEntry
	// Associations are the policy associations of each entry, by EntryKey,
	// sorted by policy ARN. Entries without associations have no key here.
	Associations map[string][]AccessPolicyAssociation
	// Generation is the store generation the snapshot was read at; compare
	// it with the store's current generation to know when to reload.
	Generation uint64
}

// Lookup returns the access entry matching a caller's principal, by its
// lookup key (so an assumed-role session finds its role's entry), and the
// grants of that entry's associations. It does not consult the
// authentication mode: whether access entries count is the resolver's call.
func (s Snapshot) Lookup(p arn.Principal) (AccessEntry, []authz.Grant, bool) {
	key := p.Key()
	e, ok := s.Entries[key]
	if !ok {
		return AccessEntry{}, nil, false
	}
	return e.Clone(), Grants(s.Associations[key]), true
}

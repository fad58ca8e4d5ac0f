package access

import (
	"time"

	"github.com/kubeiam/kubeiam/internal/authz"
)

// BootstrapCreatorEntry returns the access entry, and its cluster-scoped
// AmazonEKSClusterAdminPolicy association, that EKS creates for the cluster
// creator when bootstrapClusterCreatorAdminPermissions is true and the mode
// uses access entries: at cluster creation in an API mode, or on the switch
// from CONFIG_MAP to API_AND_CONFIG_MAP. Unlike CONFIG_MAP's implicit admin,
// the entry is visible and can be deleted like any other.
//
// The entry is for the creator's IAM principal; a creator that was an
// assumed-role session gets an entry for its role, written without the
// role's path (which the session ARN does not reveal; matching ignores it).
func BootstrapCreatorEntry(cfg ClusterConfig, now time.Time) (AccessEntry, AccessPolicyAssociation, error) {
	if !cfg.BootstrapClusterCreatorAdminPermissions {
		return AccessEntry{}, AccessPolicyAssociation{}, newError(InvalidRequestException,
			"The cluster has bootstrapClusterCreatorAdminPermissions set to false; there is no creator access entry to create.")
	}
	p, err := creatorPrincipal(cfg.CreatorARN)
	if err != nil {
		return AccessEntry{}, AccessPolicyAssociation{}, err
	}
	entry, err := NewEntry(CreateEntryRequest{PrincipalARN: p.String()}, cfg.Name, cfg.Region, cfg.AccountID, now)
	if err != nil {
		return AccessEntry{}, AccessPolicyAssociation{}, err
	}
	policy := "arn:" + p.Partition + ":eks::aws:cluster-access-policy/" + authz.ClusterAdminPolicyName
	assoc, err := Associate(entry, nil, policy, authz.Scope{Type: authz.ScopeCluster}, now)
	if err != nil {
		return AccessEntry{}, AccessPolicyAssociation{}, err
	}
	return entry, assoc, nil
}

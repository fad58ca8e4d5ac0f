package explain

import (
	"slices"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

// RBAC is the cluster's RBAC objects, for offline checks of what a mapped
// user may do beyond its access policies; see rbaceval.RBAC, which review
// (who-can) shares.
type RBAC = rbaceval.RBAC

// systemMasters is the group kube-apiserver allows everything, before any
// authorizer runs.
const systemMasters = rbaceval.SystemMasters

// rbacAllows returns the binding that allows the request for the user and
// groups, as "ClusterRoleBinding NAME (ClusterRole ROLE)".
func rbacAllows(r *RBAC, user string, groups []string, a authz.Attributes) (string, bool) {
	if slices.Contains(groups, systemMasters) {
		return "group system:masters (kube-apiserver allows it everything)", true
	}
	if allows := r.Allows(user, groups, a); len(allows) > 0 {
		return allows[0].String(), true
	}
	return "", false
}

func minimalClusterRole(a authz.Attributes) string { return rbaceval.MinimalClusterRole(a) }

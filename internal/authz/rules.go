package authz

import rbacv1 "k8s.io/api/rbac/v1"

// The rules of the managed access policies, row for row as the EKS user
// guide's "Review access policy permissions" page (access-policy-reference,
// https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html)
// lists them: each row of each table is one rule. They are close to the
// Kubernetes user-facing ClusterRoles (view, edit, admin), with EKS's own
// differences, which these rules keep:
//
//   - Access policies are fixed: unlike the aggregated upstream roles, no
//     CustomResourceDefinition adds rules to them. Bind RBAC roles for
//     custom resources instead.
//   - Edit and Admin write core "events", and have no create on
//     pods/eviction or serviceaccounts/token, which upstream edit has.
//   - Edit and Admin have no write access to core Endpoints (as upstream
//     since CVE-2021-25740).

// Verb sets, as the tables spell them. They are functions, not variables,
// so that every rule gets its own slice and no caller can change another's.
func readVerbs() []string {
	return []string{"get", "list", "watch"}
}

func writeVerbs() []string {
	return []string{"create", "delete", "deletecollection", "patch", "update"}
}

func readWriteVerbs() []string {
	return []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
}

// API groups the rules name.
const (
	coreGroup          = ""
	appsGroup          = "apps"
	authorizationGroup = "authorization.k8s.io"
	autoscalingGroup   = "autoscaling"
	batchGroup         = "batch"
	discoveryGroup     = "discovery.k8s.io"
	eventsGroup        = "events.k8s.io"
	extensionsGroup    = "extensions"
	metricsGroup       = "metrics.k8s.io"
	networkingGroup    = "networking.k8s.io"
	policyGroup        = "policy"
	rbacGroup          = "rbac.authorization.k8s.io"
	storageGroup       = "storage.k8s.io"
)

// rule builds a resource rule for one API group.
func rule(verbs []string, group string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: resources}
}

// clusterAdminRules is AmazonEKSClusterAdminPolicy, cluster-admin: every
// verb on every resource of every group, and every verb on every
// non-resource URL (/metrics, /healthz, /logs, ...).
func clusterAdminRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{Verbs: []string{rbacv1.VerbAll}, APIGroups: []string{rbacv1.APIGroupAll}, Resources: []string{rbacv1.ResourceAll}},
		{Verbs: []string{rbacv1.VerbAll}, NonResourceURLs: []string{rbacv1.NonResourceAll}},
	}
}

// adminViewRules is AmazonEKSAdminViewPolicy: get, list and watch on every
// resource, Secrets and cluster-scoped resources included, and no
// non-resource URLs.
//
// Because "*" covers subresources, this includes get on pods/exec,
// pods/attach and pods/portforward. Kubernetes before 1.30 (and later
// releases with the AuthorizePodWebsocketUpgradeCreatePermission feature
// gate off) authorize a WebSocket exec with the "get" verb, so on such
// clusters AdminView can exec into pods. That is EKS's definition too.
func adminViewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{Verbs: readVerbs(), APIGroups: []string{rbacv1.APIGroupAll}, Resources: []string{rbacv1.ResourceAll}},
	}
}

// viewRules is AmazonEKSViewPolicy: read access to the namespaced resources
// that do not escalate. Secrets are not readable, nor are the pods/exec,
// pods/attach, pods/portforward and services/proxy subresources. Reading
// "namespaces" under namespace scope lets a caller get the namespaces it
// has access to, not list them all.
func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(readVerbs(), appsGroup,
			"controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
			"deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
			"statefulsets/scale", "statefulsets/status"),
		rule(readVerbs(), autoscalingGroup, "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		rule(readVerbs(), batchGroup, "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
		rule(readVerbs(), discoveryGroup, "endpointslices"),
		rule(readVerbs(), extensionsGroup,
			"daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
			"ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale",
			"replicasets/status", "replicationcontrollers/scale"),
		rule(readVerbs(), networkingGroup, "ingresses", "ingresses/status", "networkpolicies"),
		rule(readVerbs(), policyGroup, "poddisruptionbudgets", "poddisruptionbudgets/status"),
		rule(readVerbs(), coreGroup,
			"configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
			"replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"),
		rule(readVerbs(), coreGroup,
			"bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
			"replicationcontrollers/status", "resourcequotas", "resourcequotas/status"),
		rule(readVerbs(), coreGroup, "namespaces"),
	}
}

// editRules is AmazonEKSEditPolicy: everything View reads, plus reading
// Secrets and the subresources that reach into containers, plus writing the
// workload resources. No Roles or RoleBindings, no ResourceQuotas or
// LimitRanges, no status subresources: those control the namespace rather
// than live in it.
func editRules() []rbacv1.PolicyRule {
	return append(viewRules(),
		rule(writeVerbs(), appsGroup,
			"daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
			"replicasets/scale", "statefulsets", "statefulsets/scale"),
		rule(writeVerbs(), autoscalingGroup, "horizontalpodautoscalers"),
		rule(writeVerbs(), batchGroup, "cronjobs", "jobs"),
		rule(writeVerbs(), extensionsGroup,
			"daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses",
			"networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"),
		rule(writeVerbs(), networkingGroup, "ingresses", "networkpolicies"),
		rule(writeVerbs(), policyGroup, "poddisruptionbudgets"),
		rule(readVerbs(), coreGroup,
			"pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"),
		// Edit can act as any service account in its namespaces; whoever
		// can create pods can run as one anyway.
		rule([]string{"impersonate"}, coreGroup, "serviceaccounts"),
		rule(writeVerbs(), coreGroup, "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"),
		rule(writeVerbs(), coreGroup,
			"configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
			"replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"),
	)
}

// adminRules is AmazonEKSAdminPolicy: everything Edit has, plus managing
// Roles and RoleBindings (granting others access within the scope) and
// asking LocalSubjectAccessReviews. It has no ClusterRoles or
// ClusterRoleBindings: even with cluster scope an Admin can only bind within
// namespaces, and RBAC escalation checks stop it from granting what it does
// not hold.
func adminRules() []rbacv1.PolicyRule {
	return append(editRules(),
		rule([]string{"create"}, authorizationGroup, "localsubjectaccessreviews"),
		rule(readWriteVerbs(), rbacGroup, "rolebindings", "roles"),
	)
}

// hybridRules is AmazonEKSHybridPolicy, which EKS hybrid nodes use: list
// nodes, in every API group.
func hybridRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{Verbs: []string{"list"}, APIGroups: []string{rbacv1.APIGroupAll}, Resources: []string{"nodes"}},
	}
}

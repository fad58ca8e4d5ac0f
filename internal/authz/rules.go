package authz

import rbacv1 "k8s.io/api/rbac/v1"

// The rules of the managed access policies. They follow the user-facing
// ClusterRoles of the Kubernetes bootstrap policy
// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, the
// system:aggregate-to-{view,edit,admin} roles) as of Kubernetes 1.32, which
// is also what the EKS access policy tables list. Deviations, all of them
// deliberate:
//
//   - Upstream admin, edit and view are aggregated ClusterRoles: a
//     CustomResourceDefinition's author can add rules to them by label.
//     Access policies are fixed (in EKS too), so custom resources are not
//     covered by Admin, Edit or View; bind RBAC roles for them instead.
//   - Upstream removed write access to core Endpoints from edit in 1.22
//     (CVE-2021-25740: Endpoints can point a Service at any address). These
//     rules follow that; older clusters' edit still has it.
//   - The removed batch/v2alpha1 "scheduledjobs" resource is left out.

// Verb sets, as in the bootstrap policy. They are functions, not variables,
// so that every rule gets its own slice and no caller can change another's.
func readVerbs() []string {
	return []string{"get", "list", "watch"}
}

func writeVerbs() []string {
	return []string{"create", "update", "patch", "delete", "deletecollection"}
}

func readWriteVerbs() []string {
	return append(readVerbs(), writeVerbs()...)
}

// API groups the rules name.
const (
	coreGroup          = ""
	appsGroup          = "apps"
	authorizationGroup = "authorization.k8s.io"
	autoscalingGroup   = "autoscaling"
	batchGroup         = "batch"
	discoveryGroup     = "discovery.k8s.io"
	extensionsGroup    = "extensions"
	networkingGroup    = "networking.k8s.io"
	policyGroup        = "policy"
	rbacGroup          = "rbac.authorization.k8s.io"
)

// rule builds a resource rule for one API group.
func rule(verbs []string, group string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: resources}
}

// clusterAdminRules is cluster-admin: every verb on every resource of every
// group, and every verb on every non-resource URL (/metrics, /healthz,
// /logs, ...).
func clusterAdminRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{Verbs: []string{rbacv1.VerbAll}, APIGroups: []string{rbacv1.APIGroupAll}, Resources: []string{rbacv1.ResourceAll}},
		{Verbs: []string{rbacv1.VerbAll}, NonResourceURLs: []string{rbacv1.NonResourceAll}},
	}
}

// adminViewRules reads everything: get, list and watch on every resource,
// Secrets and cluster-scoped resources included. It grants no non-resource
// URLs, as in EKS.
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

// viewRules is view: read access to the namespaced resources that do not
// escalate. Secrets are not readable, nor are the pods/exec, pods/attach,
// pods/portforward and services/proxy subresources (they reach into running
// containers). Reading "namespaces" under namespace scope lets a caller get
// the namespaces it has access to, not list them all.
func viewRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule(readVerbs(), coreGroup,
			"pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/status", "endpoints", "persistentvolumeclaims",
			"persistentvolumeclaims/status", "configmaps"),
		rule(readVerbs(), coreGroup,
			"limitranges", "resourcequotas", "bindings", "events",
			"pods/status", "resourcequotas/status", "namespaces/status",
			"replicationcontrollers/status", "pods/log"),
		rule(readVerbs(), coreGroup, "namespaces"),
		rule(readVerbs(), discoveryGroup, "endpointslices"),
		rule(readVerbs(), appsGroup,
			"controllerrevisions",
			"statefulsets", "statefulsets/status", "statefulsets/scale",
			"daemonsets", "daemonsets/status",
			"deployments", "deployments/status", "deployments/scale",
			"replicasets", "replicasets/status", "replicasets/scale"),
		rule(readVerbs(), autoscalingGroup, "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		rule(readVerbs(), batchGroup, "jobs", "cronjobs", "cronjobs/status", "jobs/status"),
		rule(readVerbs(), extensionsGroup,
			"daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
			"ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status",
			"replicationcontrollers/scale", "networkpolicies"),
		rule(readVerbs(), policyGroup, "poddisruptionbudgets", "poddisruptionbudgets/status"),
		rule(readVerbs(), networkingGroup, "networkpolicies", "ingresses", "ingresses/status"),
	}
}

// editRules is edit: everything view reads, plus reading Secrets and the
// subresources that reach into containers, plus writing the workload
// resources. No Roles or RoleBindings, no ResourceQuotas or LimitRanges, no
// status subresources: those control the namespace rather than live in it.
func editRules() []rbacv1.PolicyRule {
	return append(viewRules(),
		// Read on the escalating resources view leaves out.
		rule(readVerbs(), coreGroup,
			"pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
		// Upstream edit can act as any service account in its namespaces;
		// whoever can create pods can run as one anyway.
		rule([]string{"impersonate"}, coreGroup, "serviceaccounts"),

		rule(writeVerbs(), coreGroup, "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
		rule([]string{"create"}, coreGroup, "pods/eviction"),
		rule(writeVerbs(), coreGroup,
			"replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets"),
		rule([]string{"create"}, coreGroup, "serviceaccounts/token"),

		rule(writeVerbs(), appsGroup,
			"statefulsets", "statefulsets/scale",
			"daemonsets",
			"deployments", "deployments/scale", "deployments/rollback",
			"replicasets", "replicasets/scale"),
		rule(writeVerbs(), autoscalingGroup, "horizontalpodautoscalers"),
		rule(writeVerbs(), batchGroup, "jobs", "cronjobs"),
		rule(writeVerbs(), extensionsGroup,
			"daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
			"replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
		rule(writeVerbs(), policyGroup, "poddisruptionbudgets"),
		rule(writeVerbs(), networkingGroup, "networkpolicies", "ingresses"),
	)
}

// adminRules is admin: everything edit has, plus managing Roles and
// RoleBindings (granting others access within the scope) and asking
// LocalSubjectAccessReviews. It has no ClusterRoles or ClusterRoleBindings:
// even with cluster scope an Admin can only bind within namespaces, and RBAC
// escalation checks stop it from granting what it does not hold.
func adminRules() []rbacv1.PolicyRule {
	return append(editRules(),
		rule([]string{"create"}, authorizationGroup, "localsubjectaccessreviews"),
		rule(readWriteVerbs(), rbacGroup, "roles", "rolebindings"),
	)
}

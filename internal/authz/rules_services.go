package authz

import rbacv1 "k8s.io/api/rbac/v1"

// The rules of the managed access policies that other AWS services use,
// which the EKS user guide lists but whose tables those services' own guides
// publish. Each rule is one row (or one YAML rule) of the page cited, as
// read on 2026-12-01.

// arcRegionSwitchScalingRules is AmazonARCRegionSwitchScalingPolicy, for
// the plan execution role of Amazon Application Recovery Controller (ARC)
// Region switch. Rows of the table "Region switch EKS access policy", ARC
// developer guide, "Amazon EKS resource scaling execution block"
// (https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html).
//
// "*/scale" and "*/status" are RBAC's subresource wildcards: the scale and
// status subresources of any resource in any API group, never the resource
// itself. The HorizontalPodAutoscaler patch is how Region switch stops a
// scale-down during a recovery.
func arcRegionSwitchScalingRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule([]string{"get", "update"}, rbacv1.APIGroupAll, "*/scale"),
		rule([]string{"get"}, rbacv1.APIGroupAll, "*/status"),
		rule([]string{"get", "patch"}, autoscalingGroup, "horizontalpodautoscalers"),
	}
}

// aiOpsAssistantRules is AmazonAIOpsAssistantPolicy, for the IAM role of a
// CloudWatch investigations investigation group: get and list (no watch) on
// the resources an investigation reads, cluster-scoped nodes,
// persistentvolumes, namespaces, ingressclasses and storageclasses
// included, and the resource metrics API. No Secrets, no non-resource URLs.
// The rules of the section "AmazonAIOpsAssistantPolicy", CloudWatch user
// guide, "Integration with Amazon EKS"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/EKS-Integration.html),
// initial release of August 9, 2025.
func aiOpsAssistantRules() []rbacv1.PolicyRule {
	getList := func() []string { return []string{"get", "list"} }
	return []rbacv1.PolicyRule{
		rule(getList(), coreGroup,
			"configmaps", "events", "namespaces", "nodes", "persistentvolumeclaims", "persistentvolumes",
			"pods", "pods/log", "services"),
		rule(getList(), appsGroup, "daemonsets", "deployments", "replicasets", "statefulsets"),
		rule(getList(), batchGroup, "cronjobs", "jobs"),
		rule(getList(), eventsGroup, "events"),
		rule(getList(), networkingGroup, "ingressclasses", "ingresses"),
		rule(getList(), storageGroup, "storageclasses"),
		rule(getList(), metricsGroup, "nodes", "pods"),
	}
}

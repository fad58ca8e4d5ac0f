package authz

import (
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// The ARNs of the managed access policies kubeiam implements, in the
// commercial partition. LookupPolicy accepts the same ARNs in every other
// partition ("arn:aws-cn:eks::aws:cluster-access-policy/...").
const (
	ClusterAdminPolicyARN = policyARNPrefix + ClusterAdminPolicyName
	AdminPolicyARN        = policyARNPrefix + AdminPolicyName
	EditPolicyARN         = policyARNPrefix + EditPolicyName
	ViewPolicyARN         = policyARNPrefix + ViewPolicyName
	AdminViewPolicyARN    = policyARNPrefix + AdminViewPolicyName
	HybridPolicyARN       = policyARNPrefix + HybridPolicyName
	AutoNodePolicyARN     = policyARNPrefix + AutoNodePolicyName
	ARCScalingPolicyARN   = policyARNPrefix + ARCScalingPolicyName
	AIOpsPolicyARN        = policyARNPrefix + AIOpsPolicyName
)

// The names of the managed access policies: the last part of their ARNs.
const (
	ClusterAdminPolicyName = "AmazonEKSClusterAdminPolicy"
	AdminPolicyName        = "AmazonEKSAdminPolicy"
	EditPolicyName         = "AmazonEKSEditPolicy"
	ViewPolicyName         = "AmazonEKSViewPolicy"
	AdminViewPolicyName    = "AmazonEKSAdminViewPolicy"
	HybridPolicyName       = "AmazonEKSHybridPolicy"
	AutoNodePolicyName     = "AmazonEKSAutoNodePolicy"
	ARCScalingPolicyName   = "AmazonARCRegionSwitchScalingPolicy"
	AIOpsPolicyName        = "AmazonAIOpsAssistantPolicy"
)

const (
	policyARNPrefix = "arn:aws:eks::aws:cluster-access-policy/"
	// policyResourcePrefix is the resource part of a policy ARN before the name.
	policyResourcePrefix = "cluster-access-policy/"
)

// Policy is one managed access policy: the RBAC rules it grants. Like a
// ClusterRole it only allows; where it applies is the grant's Scope.
type Policy struct {
	// ARN is the policy's ARN.
	ARN string
	// Name is the last part of the ARN, e.g. "AmazonEKSViewPolicy".
	Name string
	// Description says what the policy is for, in one sentence.
	Description string
	// Rules are the permissions, evaluated as Kubernetes RBAC evaluates a
	// ClusterRole's rules. Empty when RulesUnpublished.
	Rules []rbacv1.PolicyRule
	// RulesUnpublished reports that EKS documents what the policy is for
	// but not its Kubernetes permissions. kubeiam accepts associations of
	// such a policy where EKS does, so that the same API calls work, and
	// says that the policy grants nothing here wherever it is shown.
	RulesUnpublished bool

	// rank is the policy's privilege rank (see policyDef.rank).
	rank int
}

// policyDef is one row of the catalog.
type policyDef struct {
	name        string
	description string
	rules       func() []rbacv1.PolicyRule // nil: EKS publishes no rules
	// rank orders the policies from the most (0) to the least privileged.
	// When several grants cover a request, the Decision names the most
	// privileged, so that explanations do not depend on the order grants
	// were stored in. AdminView ranks below Edit: reading every Secret is
	// a lot, but it cannot change anything. The policies of other AWS
	// services rank below the user-facing ones, the one that writes (ARC's
	// scaling) above the one that only reads (AIOps), and the node
	// policies last.
	rank int
}

// catalogDefs is the catalog: every managed access policy kubeiam knows,
// with the rules AWS publishes for it: the EKS user guide ("Review access
// policy permissions") for the EKS policies (rules.go), the guide of the
// service that uses it for the others (rules_services.go). Policies EKS
// lists without anyone publishing their rules are in unpublishedPolicies
// instead, except AmazonEKSAutoNodePolicy, which EC2 (Auto Mode) access
// entries must be able to take.
func catalogDefs() []policyDef {
	return []policyDef{
		{ClusterAdminPolicyName, "Full control of every resource and every non-resource URL, like the cluster-admin ClusterRole.", clusterAdminRules, 0},
		{AdminPolicyName, "Most permissions on namespaced resources, including Roles and RoleBindings, like the admin ClusterRole.", adminRules, 1},
		{EditPolicyName, "Read and write most namespaced workload resources, including Secrets, like the edit ClusterRole.", editRules, 2},
		{AdminViewPolicyName, "Read (get, list, watch) every resource, Secrets included.", adminViewRules, 3},
		{ViewPolicyName, "Read most namespaced resources, but not Secrets, like the view ClusterRole.", viewRules, 4},
		{ARCScalingPolicyName, "For ARC Region switch plans: read and update the scale subresource of any resource, read any status subresource, and read and patch HorizontalPodAutoscalers.", arcRegionSwitchScalingRules, 5},
		{AIOpsPolicyName, "For CloudWatch investigations: get and list workloads, pods and their logs, events, services, ingresses, nodes, volumes, storage classes and resource metrics; no Secrets.", aiOpsAssistantRules, 6},
		{HybridPolicyName, "List nodes: the access EKS hybrid nodes need.", hybridRules, 7},
		{AutoNodePolicyName, "For the node role of EKS Auto Mode (EC2 access entries). EKS does not publish its Kubernetes permissions, so in kubeiam it grants nothing; the node's identity (system:node:...) is all such an entry has.", nil, 8},
	}
}

// unpublishedPolicies are the managed access policies EKS lists whose
// Kubernetes permissions it does not publish, and that no access entry type
// needs. kubeiam does not implement them: associating one is refused, with
// a message that says why, rather than accepted and granting nothing.
//
// For the EKS Auto Mode policies, "Review access policy permissions"
// (access-policy-reference.adoc, awsdocs/amazon-eks-user-guide at
// 4d52b4d, 2024-12-18) has a section each but only prose ("create and
// manage lease objects", "scoped to specific lease resources"), no table:
// not the groups, resources, names and verbs an implementation needs.
// Neither that page nor any other AWS guide found publishes a table for
// AmazonEKSSecretReaderPolicy or AmazonEKSClusterInsightsPolicy.
func unpublishedPolicies() []string {
	return []string{
		"AmazonEKSBlockStorageClusterPolicy", "AmazonEKSBlockStoragePolicy",
		"AmazonEKSClusterInsightsPolicy",
		"AmazonEKSComputeClusterPolicy", "AmazonEKSComputePolicy",
		"AmazonEKSLoadBalancingClusterPolicy", "AmazonEKSLoadBalancingPolicy",
		"AmazonEKSNetworkingClusterPolicy", "AmazonEKSNetworkingPolicy",
		"AmazonEKSSecretReaderPolicy",
	}
}

// UnpublishedPolicy reports whether policyARN names a managed access policy
// EKS has but kubeiam does not implement, because EKS does not publish its
// Kubernetes permissions.
func UnpublishedPolicy(policyARN string) bool {
	name, ok := policyName(policyARN, partitionSet())
	return ok && slices.Contains(unpublishedPolicies(), name)
}

// Catalog returns the managed access policies kubeiam implements, sorted by
// name. Each call builds fresh values; callers may modify them.
func Catalog() []Policy {
	defs := catalogDefs()
	policies := make([]Policy, 0, len(defs))
	for _, d := range defs {
		p := Policy{ARN: policyARNPrefix + d.name, Name: d.name, Description: d.description, RulesUnpublished: d.rules == nil, rank: d.rank}
		if d.rules != nil {
			p.Rules = d.rules()
		}
		policies = append(policies, p)
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	return policies
}

// LookupPolicy returns the managed access policy an ARN names. The ARN may be
// in any partition kubeiam knows; the returned Policy carries the ARN as
// given. Anything else, including a differently cased name, is not found.
func LookupPolicy(policyARN string) (Policy, bool) {
	name, ok := policyName(policyARN, partitionSet())
	if !ok {
		return Policy{}, false
	}
	for _, p := range Catalog() {
		if p.Name == name {
			p.ARN = policyARN
			return p, true
		}
	}
	return Policy{}, false
}

// policyName returns the policy name of a well-formed access policy ARN
// ("arn:PARTITION:eks::aws:cluster-access-policy/NAME") in one of partitions.
// It does not check that the name is in the catalog.
func policyName(policyARN string, partitions map[string]bool) (string, bool) {
	rest, ok := strings.CutPrefix(policyARN, "arn:")
	if !ok {
		return "", false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || !partitions[partition] {
		return "", false
	}
	// Service "eks", no region, account "aws": the AWS-owned policies.
	name, ok := strings.CutPrefix(rest, "eks::aws:"+policyResourcePrefix)
	if !ok || name == "" || strings.ContainsAny(name, "/:") {
		return "", false
	}
	return name, true
}

// partitionSet returns the partition IDs kubeiam accepts in ARNs.
func partitionSet() map[string]bool {
	ids := arn.Partitions()
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

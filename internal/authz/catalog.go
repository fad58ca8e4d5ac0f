package authz

import (
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
)

// The names of the managed access policies: the last part of their ARNs.
const (
	ClusterAdminPolicyName = "AmazonEKSClusterAdminPolicy"
	AdminPolicyName        = "AmazonEKSAdminPolicy"
	EditPolicyName         = "AmazonEKSEditPolicy"
	ViewPolicyName         = "AmazonEKSViewPolicy"
	AdminViewPolicyName    = "AmazonEKSAdminViewPolicy"
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
	// ClusterRole's rules.
	Rules []rbacv1.PolicyRule
}

// privilegeRank orders the policies from the most (0) to the least
// privileged. When several grants cover a request, the Decision names the
// most privileged, so that explanations do not depend on the order grants
// were stored in. AdminView ranks below Edit: reading every Secret is a lot,
// but it cannot change anything.
func privilegeRank(name string) int {
	switch name {
	case ClusterAdminPolicyName:
		return 0
	case AdminPolicyName:
		return 1
	case EditPolicyName:
		return 2
	case AdminViewPolicyName:
		return 3
	case ViewPolicyName:
		return 4
	}
	return 5
}

// Catalog returns the managed access policies kubeiam implements, sorted by
// name. Each call builds fresh values; callers may modify them.
func Catalog() []Policy {
	policies := []Policy{
		{
			ARN:         ClusterAdminPolicyARN,
			Name:        ClusterAdminPolicyName,
			Description: "Full control of every resource and every non-resource URL, like the cluster-admin ClusterRole.",
			Rules:       clusterAdminRules(),
		},
		{
			ARN:         AdminPolicyARN,
			Name:        AdminPolicyName,
			Description: "Most permissions on namespaced resources, including Roles and RoleBindings, like the admin ClusterRole.",
			Rules:       adminRules(),
		},
		{
			ARN:         EditPolicyARN,
			Name:        EditPolicyName,
			Description: "Read and write most namespaced workload resources, including Secrets, like the edit ClusterRole.",
			Rules:       editRules(),
		},
		{
			ARN:         ViewPolicyARN,
			Name:        ViewPolicyName,
			Description: "Read most namespaced resources, but not Secrets, like the view ClusterRole.",
			Rules:       viewRules(),
		},
		{
			ARN:         AdminViewPolicyARN,
			Name:        AdminViewPolicyName,
			Description: "Read (get, list, watch) every resource, Secrets included.",
			Rules:       adminViewRules(),
		},
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

package rbaceval

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/authz"
)

func clusterRole(name string, labels map[string]string, agg *rbacv1.AggregationRule, rules ...rbacv1.PolicyRule) rbacv1.ClusterRole {
	cr := rbacv1.ClusterRole{Rules: rules, AggregationRule: agg}
	cr.Name, cr.Labels = name, labels
	return cr
}

func selects(k, v string) *rbacv1.AggregationRule {
	return &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{k: v}}}}
}

var getSecrets = authz.Attributes{Verb: "get", Resource: "secrets", Namespace: "prod", ResourceRequest: true}

// Aggregation as the clusterrole-aggregation-controller computes it
// (https://kubernetes.io/docs/reference/access-authn-authz/rbac/#aggregated-clusterroles).
func TestClusterRoleRulesAggregate(t *testing.T) {
	secretsRule := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}}
	tests := []struct {
		name  string
		roles []rbacv1.ClusterRole
		want  bool
	}{
		{"a selected role's rules count", []rbacv1.ClusterRole{
			clusterRole("agg", nil, selects("x", "1")), clusterRole("part", map[string]string{"x": "1"}, nil, secretsRule)}, true},
		{"an unselected role's rules do not", []rbacv1.ClusterRole{
			clusterRole("agg", nil, selects("x", "1")), clusterRole("part", map[string]string{"x": "2"}, nil, secretsRule)}, false},
		{"an empty selector selects nothing", []rbacv1.ClusterRole{
			clusterRole("agg", nil, &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{}}}),
			clusterRole("part", map[string]string{"x": "1"}, nil, secretsRule)}, false},
		{"roles that select each other end", []rbacv1.ClusterRole{
			clusterRole("agg", map[string]string{"x": "1"}, selects("x", "1")), clusterRole("part", map[string]string{"x": "1"}, selects("x", "1"), secretsRule)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &RBAC{ClusterRoles: tt.roles}
			if got := RulesAllow(r.ClusterRoleRules("agg"), getSecrets); got != tt.want {
				t.Fatalf("allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAllowsListsEveryBinding(t *testing.T) {
	crb := rbacv1.ClusterRoleBinding{Subjects: []rbacv1.Subject{{Kind: "Group", Name: "devs"}}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"}}
	crb.Name = "devs-admin"
	rb := rbacv1.RoleBinding{Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"}}
	rb.Name, rb.Namespace = "alice-edit", "prod"
	other := rb
	other.Namespace = "dev"
	r := &RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{crb}, RoleBindings: []rbacv1.RoleBinding{rb, other}}
	got := r.Allows("alice", []string{"devs"}, getSecrets)
	if len(got) != 2 || got[0].String() != "ClusterRoleBinding devs-admin (ClusterRole admin)" || got[1].String() != "RoleBinding prod/alice-edit (ClusterRole edit)" {
		t.Fatalf("allows = %v", got)
	}
	if got := r.Bindings("bob", []string{"devs"}); len(got) != 1 {
		t.Fatalf("bindings of bob = %v", got)
	}
	if (*RBAC)(nil).Allows("alice", nil, getSecrets) != nil || (*RBAC)(nil).Bound("devs") {
		t.Fatal("nil RBAC allows something")
	}
}

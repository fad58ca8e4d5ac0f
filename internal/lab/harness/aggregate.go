package harness

import (
	"context"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

// AggregateClusterRoles does once what kube-controller-manager's
// clusterrole-aggregation controller does continuously: every ClusterRole
// with an aggregationRule gets as rules the union of the rules of the
// ClusterRoles its selectors match. The harness runs no
// kube-controller-manager, so without this the bootstrap ClusterRoles
// view, edit and admin have no rules at all, and a binding to them (which
// is what a printed fix creates, as on EKS) would still leave its subject
// Forbidden. The union is rbaceval's, the one explain evaluates with.
// ClusterRoles created later are not aggregated.
func AggregateClusterRoles(ctx context.Context, cfg *rest.Config) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("aggregate ClusterRoles: %w", err)
	}
	roles := client.RbacV1().ClusterRoles()
	list, err := roles.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("aggregate ClusterRoles: %w", err)
	}
	r := rbaceval.RBAC{ClusterRoles: list.Items}
	for i := range list.Items {
		cr := list.Items[i]
		if cr.AggregationRule == nil {
			continue
		}
		rules := dedupRules(r.ClusterRoleRules(cr.Name))
		if apiequality.Semantic.DeepEqual(rules, cr.Rules) {
			continue
		}
		cr.Rules = rules
		if _, err := roles.Update(ctx, &cr, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("aggregate ClusterRole %s: %w", cr.Name, err)
		}
	}
	return nil
}

// dedupRules drops repeated rules, as the controller does.
func dedupRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, rule := range rules {
		if !slices.ContainsFunc(out, func(o rbacv1.PolicyRule) bool { return apiequality.Semantic.DeepEqual(o, rule) }) {
			out = append(out, rule)
		}
	}
	return out
}

package rbaceval

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeiam/kubeiam/internal/authz"
)

// The rule matching is the Kubernetes RBAC authorizer's
// (plugin/pkg/auth/authorizer/rbac: RuleAllows), as in authz.

// RulesAllow reports whether any rule allows the request.
func RulesAllow(rules []rbacv1.PolicyRule, a authz.Attributes) bool {
	for i := range rules {
		if ruleAllows(&rules[i], a) {
			return true
		}
	}
	return false
}

func ruleAllows(rule *rbacv1.PolicyRule, a authz.Attributes) bool {
	if !containsOrAll(rule.Verbs, a.Verb, rbacv1.VerbAll) {
		return false
	}
	if !a.ResourceRequest {
		for _, u := range rule.NonResourceURLs {
			if u == rbacv1.NonResourceAll || u == a.NonResourcePath ||
				strings.HasSuffix(u, "*") && strings.HasPrefix(a.NonResourcePath, strings.TrimRight(u, "*")) {
				return true
			}
		}
		return false
	}
	if !containsOrAll(rule.APIGroups, a.APIGroup, rbacv1.APIGroupAll) {
		return false
	}
	combined := a.Resource
	if a.Subresource != "" {
		combined += "/" + a.Subresource
	}
	resourceOK := false
	for _, res := range rule.Resources {
		if res == rbacv1.ResourceAll || res == combined || a.Subresource != "" && res == "*/"+a.Subresource {
			resourceOK = true
			break
		}
	}
	if !resourceOK {
		return false
	}
	return len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, a.Name)
}

func containsOrAll(list []string, v, all string) bool {
	for _, x := range list {
		if x == all || x == v {
			return true
		}
	}
	return false
}

package authz

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The matching below is the Kubernetes RBAC authorizer's, rule for rule
// (k8s.io/kubernetes/pkg/apis/rbac/v1, evaluation_helpers.go), so that a
// policy allows exactly what a ClusterRole with the same rules would.

// request is the attributes with the combined "resource/subresource" form
// that resource rules are written in, computed once per evaluation.
type request struct {
	*Attributes
	combinedResource string
}

func newRequest(a *Attributes) request {
	r := request{Attributes: a, combinedResource: a.Resource}
	if a.Subresource != "" {
		r.combinedResource = a.Resource + "/" + a.Subresource
	}
	return r
}

// rulesAllow reports whether any of rules allows the request.
func rulesAllow(rules []rbacv1.PolicyRule, r request) bool {
	for i := range rules {
		if ruleAllows(&rules[i], r) {
			return true
		}
	}
	return false
}

// ruleAllows reports whether one rule allows the request. A resource rule
// never allows a non-resource request and the reverse, because the other
// kind's list is empty.
func ruleAllows(rule *rbacv1.PolicyRule, r request) bool {
	if !verbMatches(rule, r.Verb) {
		return false
	}
	if !r.ResourceRequest {
		return nonResourceURLMatches(rule, r.NonResourcePath)
	}
	return apiGroupMatches(rule, r.APIGroup) &&
		resourceMatches(rule, r.combinedResource, r.Subresource) &&
		resourceNameMatches(rule, r.Name)
}

func verbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == rbacv1.VerbAll || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(rule *rbacv1.PolicyRule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == rbacv1.APIGroupAll || g == group {
			return true
		}
	}
	return false
}

// resourceMatches accepts "*", the exact "resource/subresource" form, and
// "*/subresource" for a request on that subresource of any resource. "*"
// covers subresources too; "pods" does not cover "pods/log".
func resourceMatches(rule *rbacv1.PolicyRule, combined, subresource string) bool {
	for _, res := range rule.Resources {
		if res == rbacv1.ResourceAll || res == combined {
			return true
		}
		if subresource != "" && len(res) == len(subresource)+2 &&
			strings.HasPrefix(res, "*/") && strings.HasSuffix(res, subresource) {
			return true
		}
	}
	return false
}

// resourceNameMatches accepts any name when the rule lists none. A rule that
// lists names never matches a request without one (list, create,
// deletecollection), as in RBAC.
func resourceNameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

// nonResourceURLMatches accepts "*", the exact path, and a prefix match for
// a rule ending in '*' ("/healthz/*" covers "/healthz/etcd" but not
// "/healthz", which needs its own entry).
func nonResourceURLMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

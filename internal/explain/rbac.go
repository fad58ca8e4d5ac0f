package explain

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeiam/kubeiam/internal/authz"
)

// RBAC is the cluster's RBAC objects, for offline checks of what a mapped
// user may do beyond its access policies. The evaluation is deliberately
// simple: ClusterRoleBindings and RoleBindings, and the rules of the roles
// they reference. Aggregated ClusterRoles count only through the rules
// they list. The bootstrap ClusterRoles cluster-admin, admin, edit and view
// need not be given: they are taken from the access policies that mirror
// them.
type RBAC struct {
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles,omitempty"`
	Roles               []rbacv1.Role               `json:"roles,omitempty"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings,omitempty"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings,omitempty"`
}

// systemMasters is the group kube-apiserver allows everything, before any
// authorizer runs.
const systemMasters = "system:masters"

// builtinClusterRoles maps the bootstrap ClusterRoles to the access
// policies that have their rules, least privileged first.
var builtinClusterRoles = []struct{ role, policy string }{
	{"view", authz.ViewPolicyARN},
	{"edit", authz.EditPolicyARN},
	{"admin", authz.AdminPolicyARN},
	{"cluster-admin", authz.ClusterAdminPolicyARN},
}

func builtinRules(name string) ([]rbacv1.PolicyRule, bool) {
	for _, b := range builtinClusterRoles {
		if b.role == name {
			p, _ := authz.LookupPolicy(b.policy)
			return p.Rules, true
		}
	}
	return nil, false
}

func (r *RBAC) clusterRoleRules(name string) []rbacv1.PolicyRule {
	for _, cr := range r.ClusterRoles {
		if cr.Name == name {
			return cr.Rules
		}
	}
	rules, _ := builtinRules(name)
	return rules
}

func (r *RBAC) roleRules(namespace, name string) []rbacv1.PolicyRule {
	for _, ro := range r.Roles {
		if ro.Namespace == namespace && ro.Name == name {
			return ro.Rules
		}
	}
	return nil
}

func subjectMatches(subjects []rbacv1.Subject, user string, groups []string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if s.Name == user {
				return true
			}
		case rbacv1.GroupKind:
			if slices.Contains(groups, s.Name) {
				return true
			}
		}
	}
	return false
}

// allows returns the binding that allows the request for the user and
// groups, as "ClusterRoleBinding NAME (ClusterRole ROLE)".
func (r *RBAC) allows(user string, groups []string, a authz.Attributes) (string, bool) {
	if slices.Contains(groups, systemMasters) {
		return "group system:masters (kube-apiserver allows it everything)", true
	}
	for _, b := range r.ClusterRoleBindings {
		if b.RoleRef.Kind == "ClusterRole" && subjectMatches(b.Subjects, user, groups) &&
			rulesAllow(r.clusterRoleRules(b.RoleRef.Name), a) {
			return "ClusterRoleBinding " + b.Name + " (ClusterRole " + b.RoleRef.Name + ")", true
		}
	}
	if !a.ResourceRequest || a.Namespace == "" {
		return "", false
	}
	for _, b := range r.RoleBindings {
		if b.Namespace != a.Namespace || !subjectMatches(b.Subjects, user, groups) {
			continue
		}
		var rules []rbacv1.PolicyRule
		switch b.RoleRef.Kind {
		case "ClusterRole":
			rules = r.clusterRoleRules(b.RoleRef.Name)
		case "Role":
			rules = r.roleRules(b.Namespace, b.RoleRef.Name)
		}
		if rulesAllow(rules, a) {
			return "RoleBinding " + b.Namespace + "/" + b.Name + " (" + b.RoleRef.Kind + " " + b.RoleRef.Name + ")", true
		}
	}
	return "", false
}

// bound reports whether any binding names the group.
func (r *RBAC) bound(group string) bool {
	for _, b := range r.ClusterRoleBindings {
		if subjectMatches(b.Subjects, "\x00", []string{group}) {
			return true
		}
	}
	for _, b := range r.RoleBindings {
		if subjectMatches(b.Subjects, "\x00", []string{group}) {
			return true
		}
	}
	return false
}

// minimalClusterRole returns the least privileged bootstrap ClusterRole
// whose rules allow the request, or "".
func minimalClusterRole(a authz.Attributes) string {
	for _, b := range builtinClusterRoles {
		rules, _ := builtinRules(b.role)
		if rulesAllow(rules, a) {
			return b.role
		}
	}
	return ""
}

// The rule matching is the Kubernetes RBAC authorizer's, as in authz.

func rulesAllow(rules []rbacv1.PolicyRule, a authz.Attributes) bool {
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

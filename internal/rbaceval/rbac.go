// Package rbaceval evaluates Kubernetes RBAC objects offline: which
// bindings allow a user and groups a request. It is pure (no I/O) and is
// shared by explain (why one caller is allowed) and review (who can).
package rbaceval

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeiam/kubeiam/internal/authz"
)

// RBAC is the cluster's RBAC objects. The evaluation is the RBAC
// authorizer's: ClusterRoleBindings, then RoleBindings in the request's
// namespace, and the rules of the roles they reference. An aggregated
// ClusterRole has its own rules plus those of the ClusterRoles its
// aggregation rule selects (what the aggregation controller would write).
// The bootstrap ClusterRoles cluster-admin, admin, edit and view need not
// be given: they are taken from the access policies that mirror them.
type RBAC struct {
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles,omitempty"`
	Roles               []rbacv1.Role               `json:"roles,omitempty"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings,omitempty"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings,omitempty"`
}

// SystemMasters is the group kube-apiserver allows everything, before any
// authorizer runs.
const SystemMasters = "system:masters"

// AuthenticatedGroup is the group kube-apiserver adds to every
// authenticated user, which RBAC bindings may name.
const AuthenticatedGroup = "system:authenticated"

// Allow is one binding that allows a request.
type Allow struct {
	// BindingKind is ClusterRoleBinding or RoleBinding; Namespace is the
	// RoleBinding's namespace.
	BindingKind string `json:"bindingKind"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name"`
	// RoleKind and RoleName are the role it references.
	RoleKind string `json:"roleKind"`
	RoleName string `json:"roleName"`
	// SubjectKind and SubjectName are the subject that matched (User or Group).
	SubjectKind string `json:"subjectKind"`
	SubjectName string `json:"subjectName"`
}

// String is "ClusterRoleBinding NAME (ClusterRole ROLE)" or
// "RoleBinding NS/NAME (Role ROLE)".
func (a Allow) String() string {
	name := a.Name
	if a.Namespace != "" {
		name = a.Namespace + "/" + name
	}
	return a.BindingKind + " " + name + " (" + a.RoleKind + " " + a.RoleName + ")"
}

// builtinClusterRoles maps the bootstrap ClusterRoles to the access
// policies that have their rules, least privileged first.
var builtinClusterRoles = []struct{ role, policy string }{
	{"view", authz.ViewPolicyARN},
	{"edit", authz.EditPolicyARN},
	{"admin", authz.AdminPolicyARN},
	{"cluster-admin", authz.ClusterAdminPolicyARN},
}

func builtinRules(name string) []rbacv1.PolicyRule {
	for _, b := range builtinClusterRoles {
		if b.role == name {
			p, _ := authz.LookupPolicy(b.policy)
			return p.Rules
		}
	}
	return nil
}

// ClusterRoleRules returns the rules of a ClusterRole, aggregated ones
// included, or a bootstrap role's when none of that name is given.
func (r *RBAC) ClusterRoleRules(name string) []rbacv1.PolicyRule {
	return r.clusterRoleRules(name, map[string]bool{})
}

func (r *RBAC) clusterRoleRules(name string, seen map[string]bool) []rbacv1.PolicyRule {
	if seen[name] {
		return nil
	}
	seen[name] = true
	for i := range r.ClusterRoles {
		cr := &r.ClusterRoles[i]
		if cr.Name != name {
			continue
		}
		rules := slices.Clone(cr.Rules)
		if cr.AggregationRule != nil {
			for _, other := range r.aggregated(cr.AggregationRule.ClusterRoleSelectors) {
				rules = append(rules, r.clusterRoleRules(other, seen)...)
			}
		}
		return rules
	}
	return builtinRules(name)
}

// aggregated returns the ClusterRoles any selector selects.
func (r *RBAC) aggregated(selectors []metav1.LabelSelector) []string {
	var out []string
	for i := range selectors {
		sel, err := metav1.LabelSelectorAsSelector(&selectors[i])
		if err != nil || sel.Empty() {
			continue // the controller selects nothing with a bad or empty selector
		}
		for _, cr := range r.ClusterRoles {
			if sel.Matches(labels.Set(cr.Labels)) && !slices.Contains(out, cr.Name) {
				out = append(out, cr.Name)
			}
		}
	}
	return out
}

func (r *RBAC) roleRules(namespace, name string) []rbacv1.PolicyRule {
	for _, ro := range r.Roles {
		if ro.Namespace == namespace && ro.Name == name {
			return ro.Rules
		}
	}
	return nil
}

// matchSubject returns the subject that names the user or one of groups.
func matchSubject(subjects []rbacv1.Subject, user string, groups []string) (rbacv1.Subject, bool) {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			if s.Name == user {
				return s, true
			}
		case rbacv1.GroupKind:
			if slices.Contains(groups, s.Name) {
				return s, true
			}
		}
	}
	return rbacv1.Subject{}, false
}

// Allows returns every binding that allows the user and groups the
// request, ClusterRoleBindings first, in object order. Callers add
// system:authenticated to groups when they mean an authenticated user;
// system:masters is not RBAC and is the caller's to check.
func (r *RBAC) Allows(user string, groups []string, a authz.Attributes) []Allow {
	if r == nil {
		return nil
	}
	var out []Allow
	for _, b := range r.ClusterRoleBindings {
		s, ok := matchSubject(b.Subjects, user, groups)
		if ok && b.RoleRef.Kind == "ClusterRole" && RulesAllow(r.ClusterRoleRules(b.RoleRef.Name), a) {
			out = append(out, Allow{BindingKind: "ClusterRoleBinding", Name: b.Name, RoleKind: "ClusterRole",
				RoleName: b.RoleRef.Name, SubjectKind: s.Kind, SubjectName: s.Name})
		}
	}
	if !a.ResourceRequest || a.Namespace == "" {
		return out
	}
	for _, b := range r.RoleBindings {
		if b.Namespace != a.Namespace {
			continue
		}
		s, ok := matchSubject(b.Subjects, user, groups)
		if !ok {
			continue
		}
		var rules []rbacv1.PolicyRule
		switch b.RoleRef.Kind {
		case "ClusterRole":
			rules = r.ClusterRoleRules(b.RoleRef.Name)
		case "Role":
			rules = r.roleRules(b.Namespace, b.RoleRef.Name)
		}
		if RulesAllow(rules, a) {
			out = append(out, Allow{BindingKind: "RoleBinding", Namespace: b.Namespace, Name: b.Name,
				RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, SubjectKind: s.Kind, SubjectName: s.Name})
		}
	}
	return out
}

// Bound reports whether any binding names the group.
func (r *RBAC) Bound(group string) bool {
	if r == nil {
		return false
	}
	for _, b := range r.ClusterRoleBindings {
		if _, ok := matchSubject(b.Subjects, "\x00", []string{group}); ok {
			return true
		}
	}
	for _, b := range r.RoleBindings {
		if _, ok := matchSubject(b.Subjects, "\x00", []string{group}); ok {
			return true
		}
	}
	return false
}

// MinimalClusterRole returns the least privileged bootstrap ClusterRole
// whose rules allow the request, or "".
func MinimalClusterRole(a authz.Attributes) string {
	for _, b := range builtinClusterRoles {
		if RulesAllow(builtinRules(b.role), a) {
			return b.role
		}
	}
	return ""
}

// Bindings returns every binding that names the user or one of groups,
// whatever its role allows.
func (r *RBAC) Bindings(user string, groups []string) []Allow {
	if r == nil {
		return nil
	}
	var out []Allow
	for _, b := range r.ClusterRoleBindings {
		if s, ok := matchSubject(b.Subjects, user, groups); ok {
			out = append(out, Allow{BindingKind: "ClusterRoleBinding", Name: b.Name, RoleKind: b.RoleRef.Kind,
				RoleName: b.RoleRef.Name, SubjectKind: s.Kind, SubjectName: s.Name})
		}
	}
	for _, b := range r.RoleBindings {
		if s, ok := matchSubject(b.Subjects, user, groups); ok {
			out = append(out, Allow{BindingKind: "RoleBinding", Namespace: b.Namespace, Name: b.Name,
				RoleKind: b.RoleRef.Kind, RoleName: b.RoleRef.Name, SubjectKind: s.Kind, SubjectName: s.Name})
		}
	}
	return out
}

package explain

import (
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// authenticatedGroup is the group kube-apiserver adds to every
// authenticated user, which RBAC bindings may name.
const authenticatedGroup = "system:authenticated"

// request decides the request of a mapped caller: an access policy, then
// the RBAC given, else what RBAC would need.
func (e *explainer) request() {
	e.r.Verdict, e.r.Code, e.r.Reason = VerdictMapped, CodeMapped, "mapped by "+e.res.SourceDetail
	if e.in.Request == nil {
		return
	}
	a := e.attributes()
	d := authz.Authorize(e.res.Grants, a)
	rr := &RequestResult{Request: *e.in.Request, Description: a.String(), Reason: d.Reason}
	e.r.Request = rr
	if d.Allowed {
		rr.Allowed, rr.AllowedBy, rr.Policy, rr.Scope = true, "accessPolicy", d.PolicyARN, d.Scope.String()
		e.r.Verdict, e.r.Code, e.r.Reason = VerdictAllowed, CodeAllowedByPolicy, d.Reason
		return
	}
	e.byRBAC(a, d.Reason)
}

// byRBAC decides a request no access policy allows: by the RBAC given,
// else by saying what RBAC would need.
func (e *explainer) byRBAC(a authz.Attributes, policyReason string) {
	rr := e.r.Request
	if e.in.RBAC != nil {
		groups := append(slices.Clone(e.res.Groups), authenticatedGroup)
		if binding, ok := rbacAllows(e.in.RBAC, e.res.Username, groups, a); ok {
			rr.Allowed, rr.AllowedBy, rr.Binding = true, "rbac", binding
			e.r.Verdict, e.r.Code, e.r.Reason = VerdictAllowed, CodeAllowedByRBAC, "allowed by "+binding
			return
		}
	} else if slices.Contains(e.res.Groups, systemMasters) {
		rr.Allowed, rr.AllowedBy, rr.Binding = true, "rbac", "group system:masters (kube-apiserver allows it everything)"
		e.r.Verdict, e.r.Code, e.r.Reason = VerdictAllowed, CodeAllowedByRBAC, "allowed: group system:masters"
		return
	}
	role := minimalClusterRole(a)
	rr.RBACNeeds = e.rbacNeeds(a, role)
	if e.in.RBAC == nil {
		e.r.Verdict, e.r.Code = VerdictRBACDecides, CodeRBACDecides
		e.r.Reason = policyReason + "; RBAC must allow it: " + rr.RBACNeeds
	} else {
		e.r.Verdict, e.r.Code = VerdictDenied, CodeNotAllowed
		e.r.Reason = policyReason + ", and no RBAC binding given allows it; " + rr.RBACNeeds
		e.unboundGroups(a, role)
	}
	e.requestFixes(a, role)
}

// rbacNeeds says which binding would allow the request.
func (e *explainer) rbacNeeds(a authz.Attributes, role string) string {
	subjects := []string{"user " + quote(e.res.Username)}
	for _, g := range e.res.Groups {
		subjects = append(subjects, "group "+quote(g))
	}
	where := "a ClusterRoleBinding"
	if a.ResourceRequest && a.Namespace != "" {
		where = "a RoleBinding in namespace " + quote(a.Namespace) + " (or a ClusterRoleBinding)"
	}
	what := "a role that allows " + a.String()
	if role != "" {
		what = "ClusterRole " + role + " (or any role that allows " + a.String() + ")"
	}
	return where + " of " + what + " to " + strings.Join(subjects, " or ")
}

func quote(s string) string { return `"` + s + `"` }

// unboundGroups reports the caller's groups that no binding names.
func (e *explainer) unboundGroups(a authz.Attributes, role string) {
	for _, g := range e.res.Groups {
		if e.in.RBAC.Bound(g) || g == systemMasters {
			continue
		}
		e.add(CodeGroupWithoutBinding, SeverityWarning,
			"you are in group %q, but no RoleBinding or ClusterRoleBinding names it, so it grants nothing", g)
		if role != "" {
			e.groupFixed = true
			e.fix(Fix{Fixes: CodeGroupWithoutBinding, Summary: "bind group " + g + " to ClusterRole " + role,
				Action: bindingAction(a, role, "Group", g)})
		}
	}
}

// requestFixes proposes an access policy (for a caller mapped by an access
// entry) and an RBAC binding for the user.
func (e *explainer) requestFixes(a authz.Attributes, role string) {
	if e.res.Source == resolve.SourceAccessEntry {
		if policy, scope, ok := minimalPolicy(a); ok {
			e.fix(Fix{Fixes: e.r.Code, Summary: "associate " + policyName(policy) + " (" + scope.String() + ") with " + e.entry.PrincipalARN,
				Action: Action{Kind: ActionAssociatePolicy, PrincipalARN: e.entry.PrincipalARN, PolicyARN: policy,
					ScopeType: string(scope.Type), Namespaces: scope.Namespaces}})
		}
	}
	if role == "" {
		return
	}
	if e.groupFixed {
		return // binding the caller's group fixes it
	}
	e.fix(Fix{Fixes: e.r.Code, Summary: "bind user " + e.res.Username + " to ClusterRole " + role,
		Action: bindingAction(a, role, "User", e.res.Username)})
}

func bindingAction(a authz.Attributes, role, kind, name string) Action {
	act := Action{Kind: ActionCreateBinding, ClusterRole: role, SubjectKind: kind, SubjectName: name,
		BindingName: bindingName(kind, name, role)}
	if a.ResourceRequest {
		act.Namespace = a.Namespace
	}
	return act
}

// bindingName makes a valid object name for a binding.
func bindingName(kind, name, role string) string {
	var b strings.Builder
	b.WriteString("kubeiam-")
	for _, c := range strings.ToLower(kind + "-" + name + "-" + role) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) > 253 {
		s = s[:253]
	}
	return strings.TrimRight(s, "-.")
}

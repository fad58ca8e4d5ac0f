package review

import (
	"slices"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

// PathKind names how a principal is allowed.
type PathKind string

// The paths.
const (
	// PathCreator: the implicit cluster creator of CONFIG_MAP, in
	// system:masters.
	PathCreator PathKind = "creator"
	// PathSystemMasters: a mapping puts the principal in system:masters,
	// which kube-apiserver allows everything before any authorizer runs.
	PathSystemMasters PathKind = "systemMasters"
	// PathAccessPolicy: an access entry's access policy, in its scope.
	PathAccessPolicy PathKind = "accessPolicy"
	// PathRBAC: the mapping's username or a group is bound to a role
	// whose rules allow the request.
	PathRBAC PathKind = "rbac"
)

// Path is one way a principal is allowed.
type Path struct {
	Kind PathKind `json:"kind"`
	// Steps read principal → mapping → group or policy → permission.
	Steps []string `json:"steps"`
	// Policy and Scope are the access policy of an accessPolicy path.
	Policy string `json:"policy,omitempty"`
	Scope  string `json:"scope,omitempty"`
	// Binding is the RBAC binding of an rbac path.
	Binding *rbaceval.Allow `json:"binding,omitempty"`
	// Partial is set when the path holds only for some sessions: a
	// templated username or group that only some session names turn into
	// the bound subject.
	Partial bool `json:"partial,omitempty"`
}

// Allowed is a principal and the paths that allow it.
type Allowed struct {
	Principal
	Paths []Path `json:"paths"`
}

// Result is the answer to who can do a request.
type Result struct {
	Request     Request `json:"request"`
	Description string  `json:"description"`
	Mode        string  `json:"mode"`
	// Allowed are the principals some path allows, in resolver order.
	Allowed []Allowed `json:"allowed"`
	// NotAllowed are the principals the cluster maps but nothing allows.
	NotAllowed []Principal `json:"notAllowed"`
	// Notes say what was ignored or shadowed (mode, precedence).
	Notes []string `json:"notes,omitempty"`
}

// WhoCan returns every principal the sources let do the request, with
// the paths that allow it. An error means the input is unusable (a bad
// mode or ARN); a request nobody may do is a Result with no Allowed.
func WhoCan(in Input, q Request) (Result, error) {
	if err := q.Validate(); err != nil {
		return Result{}, err
	}
	ps, notes, err := principals(in)
	if err != nil {
		return Result{}, err
	}
	mode, _ := in.mode()
	z := authz.NewAuthorizer()
	a := q.attributes()
	paths := make([][]Path, len(ps))
	n := 0
	for i, p := range ps {
		if paths[i] = pathsFor(z, p, in.RBAC, a); len(paths[i]) > 0 {
			n++
		}
	}
	// Sized exactly: Principals are large, and reviews have thousands.
	res := Result{Request: q, Description: q.String(), Mode: string(mode), Notes: notes,
		Allowed: make([]Allowed, 0, n), NotAllowed: make([]Principal, 0, len(ps)-n)}
	for i, p := range ps {
		if len(paths[i]) == 0 {
			res.NotAllowed = append(res.NotAllowed, p)
		} else {
			res.Allowed = append(res.Allowed, Allowed{Principal: p, Paths: paths[i]})
		}
	}
	return res, nil
}

// pathsFor returns every path that allows p the request.
func pathsFor(z *authz.Authorizer, p Principal, r *rbaceval.RBAC, a authz.Attributes) []Path {
	var out []Path
	head := []string{p.Principal, p.Mapping}
	if slices.Contains(p.Groups, rbaceval.SystemMasters) {
		kind := PathSystemMasters
		if p.Source == SourceCreator {
			kind = PathCreator
		}
		out = append(out, Path{Kind: kind, Steps: append(slices.Clone(head),
			"group "+rbaceval.SystemMasters, "kube-apiserver allows system:masters everything")})
	}
	for _, g := range p.grants {
		d := z.Authorize([]authz.Grant{g}, a)
		if !d.Allowed {
			continue
		}
		out = append(out, Path{Kind: PathAccessPolicy, Policy: g.PolicyARN, Scope: g.Scope.String(),
			Steps: append(slices.Clone(head), "access policy "+policyName(g.PolicyARN)+" ("+g.Scope.String()+")", d.Reason)})
	}
	ids := identitiesOf(p, r)
	users := ids.users
	if len(users) == 0 {
		users = []string{"\x00"} // groups only
	}
	seen := map[string]bool{}
	for _, u := range users {
		for _, al := range r.Allows(u, ids.groups, a) {
			if seen[al.String()+al.SubjectKind+al.SubjectName] {
				continue
			}
			seen[al.String()+al.SubjectKind+al.SubjectName] = true
			al := al
			out = append(out, Path{Kind: PathRBAC, Binding: &al, Partial: ids.partial[al.SubjectKind+" "+al.SubjectName],
				Steps: append(slices.Clone(head), subjectStep(al), al.String(), al.RoleKind+" "+al.RoleName+" allows "+a.String())})
		}
	}
	return out
}

func subjectStep(al rbaceval.Allow) string {
	if al.SubjectKind == "User" {
		return "user " + al.SubjectName
	}
	return "group " + al.SubjectName
}

func policyName(policyARN string) string {
	for i := len(policyARN) - 1; i >= 0; i-- {
		if policyARN[i] == '/' {
			return policyARN[i+1:]
		}
	}
	return policyARN
}

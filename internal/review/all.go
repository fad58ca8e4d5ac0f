package review

import (
	"slices"

	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

// Reach is what one principal reaches: its access policies, system:masters
// and the RBAC bindings that name its username or groups.
type Reach struct {
	Principal
	SystemMasters bool `json:"systemMasters,omitempty"`
	// Bindings are the bindings naming the principal's username or a
	// group (system:authenticated included), with the role they grant.
	Bindings []BindingReach `json:"bindings,omitempty"`
}

// BindingReach is a binding a principal reaches.
type BindingReach struct {
	rbaceval.Allow
	// Partial: only some sessions become the bound subject.
	Partial bool `json:"partial,omitempty"`
}

// AccessReview is every principal the cluster maps and what it reaches:
// the export auditors ask for.
type AccessReview struct {
	Mode       string   `json:"mode"`
	CreatorARN string   `json:"creatorArn,omitempty"`
	Principals []Reach  `json:"principals"`
	Notes      []string `json:"notes,omitempty"`
}

// Principals returns every principal the input's mode maps, in resolver
// order, without evaluating what they reach (cheaper than Review), and
// notes on what the mode ignores or shadows.
func Principals(in Input) ([]Principal, []string, error) { return principals(in) }

// Review builds the full access review.
func Review(in Input) (AccessReview, error) {
	ps, notes, err := principals(in)
	if err != nil {
		return AccessReview{}, err
	}
	mode, _ := in.mode()
	out := AccessReview{Mode: string(mode), CreatorARN: in.CreatorARN, Notes: notes, Principals: []Reach{}}
	for _, p := range ps {
		r := Reach{Principal: p, SystemMasters: slices.Contains(p.Groups, rbaceval.SystemMasters)}
		ids := identitiesOf(p, in.RBAC)
		users := ids.users
		if len(users) == 0 {
			users = []string{"\x00"}
		}
		seen := map[string]bool{}
		for _, u := range users {
			for _, b := range in.RBAC.Bindings(u, ids.groups) {
				k := b.String() + b.SubjectKind + b.SubjectName
				if !seen[k] {
					seen[k] = true
					r.Bindings = append(r.Bindings, BindingReach{Allow: b, Partial: ids.partial[b.SubjectKind+" "+b.SubjectName]})
				}
			}
		}
		out.Principals = append(out.Principals, r)
	}
	return out, nil
}

package authz

import (
	"fmt"
	"slices"
	"strconv"
)

// Grant is one access policy associated with the caller's access entry, with
// the scope it applies in.
type Grant struct {
	// PolicyARN names a managed access policy, in any partition.
	PolicyARN string
	// Scope is where the policy applies.
	Scope Scope
}

// Decision is the outcome of evaluating a request against a caller's grants.
//
// Allowed=false is not a denial: no policy covers the request, and the
// webhook answers "no opinion" so that RBAC decides. Access policies never
// deny.
type Decision struct {
	// Allowed reports whether some grant covers the request.
	Allowed bool
	// PolicyARN and Scope are the grant that allowed the request: the most
	// privileged one when several do (ClusterAdmin, Admin, Edit, AdminView,
	// View, ARCRegionSwitchScaling, AIOpsAssistant, Hybrid; then cluster
	// before namespace scope). Empty unless
	// Allowed.
	PolicyARN string
	Scope     Scope
	// Reason explains the outcome in one line, for the SubjectAccessReview
	// status and the logs.
	Reason string
}

// Authorizer evaluates requests against the managed access policies. Build
// one with NewAuthorizer and share it: it is immutable and safe for
// concurrent use.
type Authorizer struct {
	byName     map[string]Policy
	partitions map[string]bool
}

// NewAuthorizer builds an Authorizer over the policy catalog.
func NewAuthorizer() *Authorizer {
	z := &Authorizer{byName: make(map[string]Policy), partitions: partitionSet()}
	for _, p := range Catalog() {
		z.byName[p.Name] = p
	}
	return z
}

// Authorize is NewAuthorizer().Authorize(grants, a). It rebuilds the catalog
// on every call; a webhook should hold one Authorizer instead.
func Authorize(grants []Grant, a Attributes) Decision {
	return NewAuthorizer().Authorize(grants, a)
}

// Authorize decides whether any of grants covers the request: the grant's
// policy has a rule that allows it, as RBAC matches rules, and the grant's
// scope covers it (see Scope). Impersonated requests and requests whose
// attributes describe nothing are never covered. Grants with an unknown
// policy ARN or a malformed scope grant nothing.
func (z *Authorizer) Authorize(grants []Grant, a Attributes) Decision {
	if a.Impersonated {
		return Decision{Reason: "impersonated requests get no access policy permissions"}
	}
	if err := a.check(); err != nil {
		return Decision{Reason: "incomplete request attributes: " + err.Error()}
	}
	if len(grants) == 0 {
		return Decision{Reason: "no access policies are associated with the caller"}
	}

	r := newRequest(&a)
	var best candidate
	found := false
	unknown, malformed := 0, 0
	var unpublished []string
	for i := range grants {
		g := &grants[i]
		p, ok := z.lookup(g.PolicyARN)
		if !ok {
			unknown++
			continue
		}
		if p.RulesUnpublished {
			unpublished = append(unpublished, p.Name)
			continue
		}
		if ValidateScope(g.Scope) != nil {
			malformed++
			continue
		}
		pattern, ok := scopeCovers(g.Scope, &a)
		if !ok || !rulesAllow(p.Rules, r) {
			continue
		}
		c := candidate{grant: g, name: p.Name, rank: p.rank, pattern: pattern}
		if !found || c.before(&best) {
			best, found = c, true
		}
	}
	if !found {
		return Decision{Reason: notCoveredReason(&a, unknown, malformed, unpublished)}
	}
	return Decision{
		Allowed:   true,
		PolicyARN: best.grant.PolicyARN,
		Scope:     Scope{Type: best.grant.Scope.Type, Namespaces: slices.Clone(best.grant.Scope.Namespaces)},
		Reason:    best.reason(&a),
	}
}

// lookup returns the policy a grant's ARN names.
func (z *Authorizer) lookup(policyARN string) (Policy, bool) {
	name, ok := policyName(policyARN, z.partitions)
	if !ok {
		return Policy{}, false
	}
	p, ok := z.byName[name]
	return p, ok
}

// candidate is a grant that covers the request.
type candidate struct {
	grant   *Grant
	name    string
	rank    int
	pattern string // the namespace pattern that matched; "" for cluster scope
}

// before orders candidates so that the Decision does not depend on the order
// of grants: more privileged policy first, then cluster scope, then by ARN
// and scope text. Equal candidates keep the earlier grant.
func (c *candidate) before(o *candidate) bool {
	if c.rank != o.rank {
		return c.rank < o.rank
	}
	cc, oc := c.grant.Scope.Type == ScopeCluster, o.grant.Scope.Type == ScopeCluster
	if cc != oc {
		return cc
	}
	if c.grant.PolicyARN != o.grant.PolicyARN {
		return c.grant.PolicyARN < o.grant.PolicyARN
	}
	return c.grant.Scope.String() < o.grant.Scope.String()
}

func (c *candidate) reason(a *Attributes) string {
	if c.grant.Scope.Type == ScopeCluster {
		return "allowed by " + c.name + " with cluster scope"
	}
	return "allowed by " + c.name + " in namespace " + strconv.Quote(a.Namespace) +
		" (scope pattern " + strconv.Quote(c.pattern) + ")"
}

// notCoveredReason says that no grant covers the request, and how many
// grants were ignored, so that a typo in an association shows up.
func notCoveredReason(a *Attributes, unknown, malformed int, unpublished []string) string {
	reason := "no associated access policy covers " + a.String()
	for _, name := range unpublished {
		reason += "; " + name + " grants nothing in kubeiam (EKS does not publish its Kubernetes permissions)"
	}
	if unknown > 0 {
		reason += fmt.Sprintf("; ignored %d association(s) with an unknown policy ARN", unknown)
	}
	if malformed > 0 {
		reason += fmt.Sprintf("; ignored %d association(s) with a malformed scope", malformed)
	}
	return reason
}

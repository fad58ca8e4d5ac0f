package access

import (
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// AccessPolicyAssociation associates a managed access policy with an access
// entry, in a scope. An entry has at most one association per policy ARN.
type AccessPolicyAssociation struct {
	PrincipalARN string
	PolicyARN    string
	Scope        authz.Scope
	AssociatedAt time.Time
	ModifiedAt   time.Time
}

// Clone returns a deep copy of a.
func (a AccessPolicyAssociation) Clone() AccessPolicyAssociation {
	a.Scope.Namespaces = cloneStrings(a.Scope.Namespaces)
	return a
}

// ValidateAssociation checks AssociateAccessPolicy for entry: the entry is
// STANDARD (node entries have fixed permissions), the policy is one kubeiam
// implements, in the entry's partition, and the scope is valid.
func ValidateAssociation(entry AccessEntry, policyARN string, scope authz.Scope) error {
	if entry.Type != EntryStandard {
		return errNotStandard()
	}
	if _, ok := authz.LookupPolicy(policyARN); !ok || policyPartition(policyARN) != entryPartition(entry) {
		return newError(ResourceNotFoundException,
			"The specified policyArn %s could not be found. You can view the available access policies with 'list-access-policies'.", policyARN)
	}
	if err := authz.ValidateScope(scope); err != nil {
		detail := strings.TrimPrefix(err.Error(), authz.ErrInvalidScope.Error()+": ")
		return newError(InvalidParameterException, "The specified accessScope is invalid: %s.", detail).withCause(err)
	}
	return nil
}

// Associate validates an association of policyARN with entry in scope and
// returns it, given the entry's existing associations. Associating a policy
// that is already associated replaces its scope: AssociatedAt is kept,
// ModifiedAt becomes now.
func Associate(entry AccessEntry, existing []AccessPolicyAssociation, policyARN string, scope authz.Scope, now time.Time) (AccessPolicyAssociation, error) {
	if err := ValidateAssociation(entry, policyARN, scope); err != nil {
		return AccessPolicyAssociation{}, err
	}
	a := AccessPolicyAssociation{
		PrincipalARN: entry.PrincipalARN,
		PolicyARN:    policyARN,
		Scope:        authz.Scope{Type: scope.Type, Namespaces: cloneStrings(scope.Namespaces)},
		AssociatedAt: now,
		ModifiedAt:   now,
	}
	for _, prev := range existing {
		if prev.PolicyARN == policyARN {
			a.AssociatedAt = prev.AssociatedAt
		}
	}
	return a, nil
}

// Grants returns the authorizer's view of associations.
func Grants(assocs []AccessPolicyAssociation) []authz.Grant {
	if len(assocs) == 0 {
		return nil
	}
	grants := make([]authz.Grant, 0, len(assocs))
	for _, a := range assocs {
		grants = append(grants, authz.Grant{
			PolicyARN: a.PolicyARN,
			Scope:     authz.Scope{Type: a.Scope.Type, Namespaces: cloneStrings(a.Scope.Namespaces)},
		})
	}
	return grants
}

// policyPartition returns the partition field of an ARN, "" if there is none.
func policyPartition(s string) string {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[1]
}

func entryPartition(e AccessEntry) string {
	p, err := arn.Parse(e.PrincipalARN)
	if err != nil {
		return ""
	}
	return p.Partition
}

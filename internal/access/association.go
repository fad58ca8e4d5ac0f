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

// ValidateAssociation checks AssociateAccessPolicy for entry: the policy is
// one kubeiam implements, in the entry's partition; the entry's type takes
// it (see checkPolicyForType); and the scope is valid.
//
// A policy ARN kubeiam does not know is a ResourceNotFoundException, EKS's
// error for a resource that does not exist (EKS API reference,
// AssociateAccessPolicy, Errors), never an association that grants nothing.
func ValidateAssociation(entry AccessEntry, policyARN string, scope authz.Scope) error {
	p, ok := authz.LookupPolicy(policyARN)
	if ok && policyPartition(policyARN) != entryPartition(entry) {
		ok = false
	}
	if !ok && authz.UnpublishedPolicy(policyARN) {
		return newError(ResourceNotFoundException,
			"The specified policyArn %s could not be found: kubeiam does not implement it, because Amazon EKS does not publish its Kubernetes permissions. You can view the available access policies with 'list-access-policies'.", policyARN)
	}
	if !ok {
		return newError(ResourceNotFoundException,
			"The specified policyArn %s could not be found. You can view the available access policies with 'list-access-policies'.", policyARN)
	}
	if err := checkPolicyForType(entry.Type, p.Name); err != nil {
		return err
	}
	return ValidateScope(scope)
}

// ValidateScope checks an access scope as AssociateAccessPolicy does, with
// its InvalidParameterException. The CLI runs it before sending, so that
// both say the same.
func ValidateScope(scope authz.Scope) error {
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

// checkPolicyForType enforces which access entry types take which policies.
// EKS user guide, "Associate access policies with access entries": access
// policies are for STANDARD entries, EKS grants the node types what they
// need itself. The exception is EKS Auto Mode ("Create a node class":
// a custom node role needs an access entry of type EC2 with
// AmazonEKSAutoNodePolicy), which is the one policy an EC2 entry takes and,
// being a node policy, not one for STANDARD entries.
func checkPolicyForType(t EntryType, policyName string) error {
	switch {
	case t == EntryEC2 && policyName != authz.AutoNodePolicyName:
		return newError(InvalidParameterException,
			"Access entries of type EC2 accept only the %s access policy.", authz.AutoNodePolicyName)
	case t == EntryEC2:
		return nil
	case t != EntryStandard:
		return errNotStandard()
	case policyName == authz.AutoNodePolicyName:
		return newError(InvalidParameterException,
			"The %s access policy can only be associated with access entries of type EC2.", authz.AutoNodePolicyName)
	}
	return nil
}

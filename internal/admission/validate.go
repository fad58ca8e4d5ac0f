// Package admission is kubeiam's validating admission webhook for its own
// resources (kubeiam.io AccessEntry and AccessConfig): kube-apiserver asks
// it about every create and update, so that "kubectl apply" of an access
// entry is held to exactly the rules of CreateAccessEntry, including those
// the CRD schema's CEL cannot express (reserved groups and usernames, ARN
// validity, the node entry types' fixed identities, access policies kubeiam
// knows). The rules themselves are internal/access's: this package only
// translates the objects and answers AdmissionReview v1.
//
// The validation (this file and accessconfig.go) is pure: no I/O, no clock
// but the one given.
package admission

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

// Operation is the admission operation being validated.
type Operation string

// The operations the webhook is registered for.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
)

// Cluster places entries in the cluster, as CreateAccessEntry does: its
// name, region and account appear in the checks (policy partitions, the
// entry ARN).
type Cluster struct {
	Name, Region, AccountID string
}

// Validator checks kubeiam's resources. A refusal is an error whose text
// is the EKS API's for the same mistake (for example
// "InvalidParameterException: The kubernetes group name system:masters is
// invalid, it cannot start with system:").
type Validator struct {
	Cluster Cluster
	Now     func() time.Time
}

// errInvalid is the class of refusals that are not an access.Error.
var errInvalid = errors.New("InvalidParameterException")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errInvalid}, args...)...)
}

// AccessEntry checks an AccessEntry being created, or updated from old.
func (v Validator) AccessEntry(op Operation, obj, old *v1alpha1.AccessEntry) error {
	spec := obj.Spec
	p, err := arn.Parse(spec.PrincipalARN)
	if err != nil {
		_, err := access.EntryKey(spec.PrincipalARN) // EKS's wording of the same error
		return err
	}
	if p.IsIAM() && p.String() != spec.PrincipalARN {
		return invalid("The specified principalArn is invalid: write it in its canonical form, %s.", p.String())
	}
	if op == Update && old != nil {
		if old.Spec.PrincipalARN != spec.PrincipalARN {
			return invalid("The principalArn of an access entry cannot be changed (from %s to %s); create an entry for the new principal.", old.Spec.PrincipalARN, spec.PrincipalARN)
		}
		if entryType(old.Spec.Type) != entryType(spec.Type) {
			return invalid("The type of an access entry cannot be changed (from %s to %s).", entryType(old.Spec.Type), entryType(spec.Type))
		}
	}
	entry, err := v.newEntry(spec)
	if err != nil {
		return err
	}
	if want, err := v1alpha1.AccessEntryName(spec.PrincipalARN); err != nil || obj.Name != want {
		if err != nil {
			return invalid("The specified principalArn is invalid: %v", err)
		}
		return invalid("The AccessEntry of %s must be named %s, not %s: one object per principal, named after it.", spec.PrincipalARN, want, obj.Name)
	}
	for _, ap := range spec.AccessPolicies {
		scope := authz.Scope{Type: authz.ScopeType(ap.AccessScope.Type), Namespaces: ap.AccessScope.Namespaces}
		if err := access.ValidateAssociation(entry, ap.PolicyARN, scope); err != nil {
			return err
		}
	}
	return nil
}

// newEntry validates spec as CreateAccessEntry would. Node entry types
// (EC2_LINUX, ...) take no username or groups from the caller; kubeiam
// stores the fixed ones EKS gives them, so those are accepted as written.
func (v Validator) newEntry(spec v1alpha1.AccessEntrySpec) (access.AccessEntry, error) {
	req := access.CreateEntryRequest{
		PrincipalARN: spec.PrincipalARN, Type: access.EntryType(entryType(spec.Type)), Tags: spec.Tags,
		Username: spec.Username, KubernetesGroups: spec.KubernetesGroups,
	}
	if req.Type != access.EntryStandard {
		req.Username, req.KubernetesGroups = "", nil
	}
	entry, err := access.NewEntry(req, v.Cluster.Name, v.Cluster.Region, v.Cluster.AccountID, v.now())
	if err != nil || req.Type == access.EntryStandard {
		return entry, err
	}
	fixedUser := spec.Username == "" || spec.Username == entry.Username
	fixedGroups := len(spec.KubernetesGroups) == 0 || sameSet(spec.KubernetesGroups, entry.KubernetesGroups)
	if !fixedUser || !fixedGroups {
		// Ask again with the caller's values, for EKS's refusal.
		req.Username, req.KubernetesGroups = spec.Username, spec.KubernetesGroups
		if fixedUser {
			req.Username = ""
		}
		if fixedGroups {
			req.KubernetesGroups = nil
		}
		_, err := access.NewEntry(req, v.Cluster.Name, v.Cluster.Region, v.Cluster.AccountID, v.now())
		return access.AccessEntry{}, err
	}
	return entry, nil
}

func (v Validator) now() time.Time {
	if v.Now == nil {
		return time.Unix(0, 0)
	}
	return v.Now()
}

// entryType is the type as CreateAccessEntry reads it: empty is STANDARD.
func entryType(t string) string {
	if t == "" {
		return string(access.EntryStandard)
	}
	return t
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

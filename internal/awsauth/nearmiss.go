package awsauth

import (
	"fmt"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// NearMissKind says how an entry almost matched a caller.
type NearMissKind string

// The near misses NearMisses reports.
const (
	// NearMissOtherAccount: the same role, user or permission set name in another account.
	NearMissOtherAccount NearMissKind = "other-account"
	// NearMissOtherPartition: the same name and account in another partition.
	NearMissOtherPartition NearMissKind = "other-partition"
	// NearMissWrongKind: mapped as a user while the caller is a role, or the reverse.
	NearMissWrongKind NearMissKind = "wrong-kind"
	// NearMissOtherPrincipalID: the caller's ARN is mapped by an entry
	// bound with userid to another unique ID: the principal was deleted and
	// recreated since the entry was written.
	NearMissOtherPrincipalID NearMissKind = "other-principal-id"
)

// maxNearMisses bounds the answer, so that one name mapped in thousands of
// accounts cannot make a diagnosis expensive.
const maxNearMisses = 20

// NearMiss is an entry that would have matched the caller but for one detail.
type NearMiss struct {
	Kind NearMissKind
	// Source and Index locate the entry, as in Match.
	Source string
	Index  int
	// MappedARN is what the entry said.
	MappedARN string
	// Message explains the difference to an operator.
	Message string
}

// nameRef is an entry's principal, kept for near-miss diagnosis.
type nameRef struct {
	source string
	index  int
	said   string
	p      arn.Principal
}

func (ix *Index) addName(source string, i int, s string) {
	p, err := arn.Parse(s)
	if err != nil || p.Name == "" {
		return
	}
	k := strings.ToLower(p.Name)
	ix.names[k] = append(ix.names[k], nameRef{source: source, index: i, said: s, p: p})
}

func (ix *Index) addPermissionSet(s *SSOMapping, i int) {
	k := strings.ToLower(s.PermissionSetName)
	p := arn.Principal{Partition: s.partition(), Account: s.AccountID, Kind: arn.KindRole}
	said := fmt.Sprintf("sso permission set %s in account %s", s.PermissionSetName, s.AccountID)
	ix.permissionSets[k] = append(ix.permissionSets[k], nameRef{source: KeyMapRoles, index: i, said: said, p: p})
}

// NearMisses returns the entries that differ from the caller in exactly one
// of account, partition, or user versus role: the usual reasons a mapping
// an operator believes in does not apply. At most 20 are returned.
func (ix *Index) NearMisses(id identity.Identity) []NearMiss {
	p, ok := principalOf(id)
	if !ok || p.Name == "" {
		return nil
	}
	var out []NearMiss
	if e, ok := ix.exact[p.Key()]; ok && !e.boundTo(id) {
		uid, _, _ := strings.Cut(id.UserID, ":")
		out = append(out, NearMiss{Kind: NearMissOtherPrincipalID, Source: e.source, Index: e.index, MappedARN: e.matched,
			Message: fmt.Sprintf("%s[%d] maps %s only with unique ID %s (its userid), but yours is %s: the principal was deleted and recreated since; write its new unique ID in userid",
				e.source, e.index, e.matched, e.userID, uid)})
	}
	for _, ref := range ix.names[strings.ToLower(p.Name)] {
		if nm, ok := nearMiss(p, ref, "named "+p.Name); ok {
			out = append(out, nm)
		}
	}
	if isRole(p.Kind) {
		if set, ok := ssoPermissionSet(p.Name); ok {
			for _, ref := range ix.permissionSets[strings.ToLower(set)] {
				if nm, ok := nearMiss(p, ref, "of permission set "+set); ok {
					out = append(out, nm)
				}
			}
		}
	}
	if len(out) > maxNearMisses {
		out = out[:maxNearMisses]
	}
	return out
}

func isRole(k arn.Kind) bool { return k == arn.KindRole || k == arn.KindAssumedRole }

// nearMiss compares the caller with an entry's principal.
func nearMiss(caller arn.Principal, ref nameRef, what string) (NearMiss, bool) {
	sameKind := isRole(caller.Kind) == isRole(ref.p.Kind)
	sameAccount := caller.Account == ref.p.Account
	samePartition := caller.Partition == ref.p.Partition
	nm := NearMiss{Source: ref.source, Index: ref.index, MappedARN: ref.said}
	loc := fmt.Sprintf("%s[%d]", ref.source, ref.index)
	switch {
	case sameKind && samePartition && !sameAccount:
		nm.Kind = NearMissOtherAccount
		nm.Message = fmt.Sprintf("%s maps the %s %s in account %s, but you are in account %s", loc, kindWord(ref.p.Kind), what, ref.p.Account, caller.Account)
	case sameKind && sameAccount && !samePartition:
		nm.Kind = NearMissOtherPartition
		nm.Message = fmt.Sprintf("%s maps the %s %s in partition %s, but you are in partition %s", loc, kindWord(ref.p.Kind), what, ref.p.Partition, caller.Partition)
	case !sameKind && sameAccount && samePartition:
		nm.Kind = NearMissWrongKind
		nm.Message = fmt.Sprintf("%s maps a %s %s, but you are a %s: map your ARN in %s", loc, kindWord(ref.p.Kind), what, kindWord(caller.Kind), sectionFor(caller.Kind))
	default:
		return NearMiss{}, false
	}
	return nm, true
}

func kindWord(k arn.Kind) string {
	if isRole(k) {
		return "role"
	}
	return "user"
}

func sectionFor(k arn.Kind) string {
	if isRole(k) {
		return KeyMapRoles
	}
	return KeyMapUsers
}

package awsauth

import (
	"fmt"
	"slices"
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

// nameRef is a role or user entry's principal, kept for near-miss
// diagnosis in 24 bytes: its ARN as written, whose last nameLen bytes are
// the principal's name, and where the entry is. The ARN is parsed again
// when a diagnosis needs it.
type nameRef struct {
	said    string
	index   int32
	nameLen uint8
	source  listKey
}

// name returns the principal's name as written.
func (r nameRef) name() string { return r.said[len(r.said)-int(r.nameLen):] }

// principalRef is an entry and the principal it names, as nearMiss
// compares them: kept for sso entries, made on demand for the others.
type principalRef struct {
	index int
	said  string
	p     arn.Principal
}

// addName records a valid rolearn or userarn, whose name (at most 64
// characters, arn.Parse checks) ends it.
func (ix *Index) addName(source listKey, i int, s string) {
	p, err := arn.Parse(s)
	if err != nil || p.Name == "" || !strings.HasSuffix(s, p.Name) || len(p.Name) > 255 {
		return
	}
	ix.names = append(ix.names, nameRef{said: s, index: int32(i), nameLen: uint8(len(p.Name)), source: source})
}

// sortNames orders names by name, letter case ignored, keeping ConfigMap
// order among equal names, for namesFor's binary search.
func (ix *Index) sortNames() {
	slices.SortStableFunc(ix.names, func(a, b nameRef) int { return compareFold(a.name(), b.name()) })
}

// namesFor returns the refs whose name is name, letter case ignored.
func (ix *Index) namesFor(name string) []nameRef {
	i, _ := slices.BinarySearchFunc(ix.names, name, func(r nameRef, n string) int { return compareFold(r.name(), n) })
	j := i
	for j < len(ix.names) && compareFold(ix.names[j].name(), name) == 0 {
		j++
	}
	return ix.names[i:j]
}

// compareFold compares ASCII strings as strings.ToLower would make them.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ca, cb := lower(a[i]), lower(b[i]); ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

func (ix *Index) addPermissionSet(s *SSOMapping, i int) {
	k := strings.ToLower(s.PermissionSetName)
	p := arn.Principal{Partition: s.partition(), Account: s.AccountID, Kind: arn.KindRole}
	said := fmt.Sprintf("sso permission set %s in account %s", s.PermissionSetName, s.AccountID)
	ix.permissionSets[k] = append(ix.permissionSets[k], principalRef{index: i, said: said, p: p})
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
	key := p.Key()
	if e, ok := ix.exact[key]; ok && !ix.boundTo(key, id) {
		uid, _, _ := strings.Cut(id.UserID, ":")
		out = append(out, NearMiss{Kind: NearMissOtherPrincipalID, Source: e.source.String(), Index: int(e.index), MappedARN: e.matched,
			Message: fmt.Sprintf("%s[%d] maps %s only with unique ID %s (its userid), but yours is %s: the principal was deleted and recreated since; write its new unique ID in userid",
				e.source, e.index, e.matched, ix.userIDs[key], uid)})
	}
	for _, ref := range ix.namesFor(p.Name) {
		refP, err := arn.Parse(ref.said)
		if err != nil {
			continue // parsed when indexed: cannot happen
		}
		if nm, ok := nearMiss(p, principalRef{index: int(ref.index), said: ref.said, p: refP}, ref.source.String(), "named "+p.Name); ok {
			out = append(out, nm)
		}
	}
	if isRole(p.Kind) {
		if set, ok := ssoPermissionSet(p.Name); ok {
			for _, ref := range ix.permissionSets[strings.ToLower(set)] {
				if nm, ok := nearMiss(p, ref, KeyMapRoles, "of permission set "+set); ok {
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
func nearMiss(caller arn.Principal, ref principalRef, source, what string) (NearMiss, bool) {
	sameKind := isRole(caller.Kind) == isRole(ref.p.Kind)
	sameAccount := caller.Account == ref.p.Account
	samePartition := caller.Partition == ref.p.Partition
	nm := NearMiss{Source: source, Index: ref.index, MappedARN: ref.said}
	loc := fmt.Sprintf("%s[%d]", source, ref.index)
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

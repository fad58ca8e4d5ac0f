package awsauth

import (
	"cmp"
	"slices"
)

// Mapping is one aws-auth entry in force: valid, and not shadowed by an
// earlier entry for the same principal. Reviews (who-can) enumerate them.
type Mapping struct {
	Match
	// Key is what callers are matched on: the arn.Key of a rolearn or
	// userarn, "sso:PARTITION:ACCOUNT:set" for an sso entry, and the
	// account ID for mapAccounts.
	Key string
	// SSO is the permission set of an sso entry, nil otherwise.
	SSO *SSOMapping
}

// Mappings returns the entries in force, in ConfigMap order: mapRoles,
// mapUsers, then mapAccounts. A mapAccounts Mapping has an empty
// UsernameTemplate: the username is each caller's canonical ARN.
func (ix *Index) Mappings() []Mapping {
	var out []Mapping
	for k, e := range ix.exact {
		out = append(out, Mapping{Match: ix.match(e), Key: k})
	}
	for k, e := range ix.sso {
		m := Mapping{Match: ix.match(e), Key: k}
		m.SSO = ssoFromKey(k)
		out = append(out, m)
	}
	for a, i := range ix.accounts {
		out = append(out, Mapping{Match: Match{Source: KeyMapAccounts, Index: i, MatchedARN: a}, Key: a})
	}
	order := map[string]int{KeyMapRoles: 0, KeyMapUsers: 1, KeyMapAccounts: 2}
	slices.SortFunc(out, func(a, b Mapping) int {
		return cmp.Or(cmp.Compare(order[a.Source], order[b.Source]), cmp.Compare(a.Index, b.Index))
	})
	return out
}

// ssoFromKey reads back "sso:PARTITION:ACCOUNT:set" (the set lowercased).
func ssoFromKey(k string) *SSOMapping {
	var parts [4]string
	n := 0
	start := 0
	for i := 0; i < len(k) && n < 3; i++ {
		if k[i] == ':' {
			parts[n] = k[start:i]
			n++
			start = i + 1
		}
	}
	parts[3] = k[start:]
	return &SSOMapping{Partition: parts[1], AccountID: parts[2], PermissionSetName: parts[3]}
}

package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// principals lists every principal the mode lets in, in the order the
// resolver consults them: the implicit creator (CONFIG_MAP), access
// entries (API modes), then aws-auth entries (CONFIG_MAP modes) not
// shadowed by an earlier source, as resolve.Resolve decides.
func principals(in Input) ([]Principal, []string, error) {
	mode, err := in.mode()
	if err != nil {
		return nil, nil, err
	}
	var out []Principal
	var notes []string
	creatorKey := ""
	if in.CreatorARN != "" {
		p, err := arn.Parse(in.CreatorARN)
		if err != nil {
			return nil, nil, fmt.Errorf("cluster creator: %w", err)
		}
		creatorKey = p.Key()
		if mode == access.ModeConfigMap {
			out = append(out, Principal{Principal: p.Canonical(), Kind: kindOf(p), Source: SourceCreator,
				Mapping: "implicit cluster creator (CONFIG_MAP)", Creator: true,
				Username: resolve.CreatorUsername, Groups: resolve.CreatorGroups()})
		}
	}
	entryKeys := map[string]bool{}
	if mode.UsesAccessEntries() {
		entries, err := entryPrincipals(in, creatorKey)
		if err != nil {
			return nil, nil, err
		}
		out = slices.Grow(out, len(entries))
		for _, e := range entries {
			entryKeys[e.key] = true
			out = append(out, e.Principal)
		}
	} else if len(in.Entries) > 0 {
		notes = append(notes, fmt.Sprintf("%d access entries ignored: authentication mode is %s", len(in.Entries), mode))
	}
	if !mode.UsesConfigMap() {
		if in.AWSAuth != nil && len(awsauth.NewIndex(in.AWSAuth).Mappings()) > 0 {
			notes = append(notes, "aws-auth ignored: authentication mode is "+string(mode))
		}
		return out, notes, nil
	}
	if mode == access.ModeConfigMap && creatorKey != "" {
		entryKeys[creatorKey] = true // the implicit creator is consulted first
	}
	aws, awsNotes := awsAuthPrincipals(in.AWSAuth, entryKeys, mode)
	return append(out, aws...), append(notes, awsNotes...), nil
}

func kindOf(p arn.Principal) Kind {
	if p.Kind == arn.KindRole || p.Kind == arn.KindAssumedRole {
		return KindRole
	}
	return KindUser
}

type keyedPrincipal struct {
	Principal
	key string
}

// entryPrincipals are the access entries with their policies, by ARN.
func entryPrincipals(in Input, creatorKey string) ([]keyedPrincipal, error) {
	assocs := map[string][]access.AccessPolicyAssociation{}
	for _, a := range in.Associations {
		k, err := access.EntryKey(a.PrincipalARN)
		if err != nil {
			return nil, fmt.Errorf("association of %s: %w", a.PrincipalARN, err)
		}
		assocs[k] = append(assocs[k], a)
	}
	// Sort small records, not Principals: moving 10,000 large structs
	// around costs more than building them.
	type keyed struct {
		key string
		p   arn.Principal
		i   int
	}
	order := make([]keyed, 0, len(in.Entries))
	for i, e := range in.Entries {
		p, err := arn.Parse(e.PrincipalARN)
		if err != nil {
			return nil, fmt.Errorf("access entry %s: %w", e.PrincipalARN, err)
		}
		order = append(order, keyed{p.Key(), p, i})
	}
	slices.SortFunc(order, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([]keyedPrincipal, 0, len(order))
	for _, o := range order {
		e, p, k := in.Entries[o.i], o.p, o.key
		pr := Principal{Principal: p.Canonical(), Kind: kindOf(p), Source: SourceAccessEntry,
			Mapping: "access entry " + e.PrincipalARN, Username: e.Username, Groups: slices.Clone(e.KubernetesGroups),
			grants: access.Grants(assocs[k])}
		if e.Type != "" && e.Type != access.EntryStandard {
			pr.Mapping += " (" + string(e.Type) + ")"
		}
		if k == creatorKey {
			pr.Creator = true
			pr.Mapping += " (the cluster creator's bootstrap entry)"
		}
		for _, g := range pr.grants {
			pr.Policies = append(pr.Policies, Policy{PolicyARN: g.PolicyARN, Scope: g.Scope.String()})
		}
		out = append(out, keyedPrincipal{Principal: pr, key: k})
	}
	return out, nil
}

// awsAuthPrincipals are the aws-auth entries in force that no earlier
// source shadows (taken is the keys of those sources).
func awsAuthPrincipals(doc *awsauth.Document, taken map[string]bool, mode access.Mode) ([]Principal, []string) {
	if doc == nil {
		return nil, nil
	}
	var out []Principal
	var notes []string
	exact := map[string]bool{}
	for _, m := range awsauth.NewIndex(doc).Mappings() {
		where := fmt.Sprintf("%s[%d]", m.Source, m.Index)
		pr := Principal{Source: Source(m.Source), Mapping: "aws-auth " + where,
			Username: m.UsernameTemplate, Groups: slices.Clone(m.GroupTemplates)}
		switch {
		case m.Source == awsauth.KeyMapAccounts:
			pr.Principal, pr.Kind, pr.Username = m.MatchedARN, KindAccount, callerARNTemplate
			pr.Notes = append(pr.Notes, "every principal of the account not mapped by a more specific entry; username is the caller's ARN, no groups")
		case m.SSO != nil:
			pr.Principal, pr.Kind = m.MatchedARN, KindPermissionSet
			pr.Notes = append(pr.Notes, "every role of the permission set in account "+m.SSO.AccountID+" not mapped by a more specific entry")
		default:
			p, _ := arn.Parse(m.MatchedARN) // Mappings holds valid entries only
			pr.Principal, pr.Kind = p.Canonical(), kindOf(p)
			exact[m.Key] = true
		}
		if taken[m.Key] {
			why := "an access entry for the same principal wins"
			if mode == access.ModeConfigMap {
				why = "the principal is the implicit cluster creator"
			}
			notes = append(notes, "aws-auth "+where+" ("+m.MatchedARN+") shadowed: "+why)
			continue
		}
		if len(taken) > 0 && pr.Kind != KindRole && pr.Kind != KindUser {
			pr.Notes = append(pr.Notes, "principals with an access entry of their own are mapped by it instead")
		}
		out = append(out, pr)
	}
	return out, notes
}

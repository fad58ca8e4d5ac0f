package explain

import (
	"errors"
	"fmt"
	"slices"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// Parts are the mapping sources as files give them, for offline
// explanations: the raw material of a resolve.Snapshot.
type Parts struct {
	// Mode is the authentication mode; empty is CONFIG_MAP.
	Mode access.Mode
	// CreatorARN is the cluster creator, if known.
	CreatorARN string
	// AWSAuth is the aws-auth ConfigMap; nil is none.
	AWSAuth *awsauth.Document
	// Entries and Associations are the access entries and their policies.
	Entries      []access.AccessEntry
	Associations []access.AccessPolicyAssociation
	// RBAC is the cluster's RBAC, if given.
	RBAC *RBAC
}

// Snapshot builds the snapshot the server would build from the parts.
func (p Parts) Snapshot() (*resolve.Snapshot, error) {
	mode := p.Mode
	if mode == "" {
		mode = access.ModeConfigMap
	}
	if !mode.Valid() {
		return nil, fmt.Errorf("authentication mode %q: want CONFIG_MAP, API_AND_CONFIG_MAP or API", mode)
	}
	s := &resolve.Snapshot{
		Mode: string(mode), UseAWSAuth: mode.UsesConfigMap(), UseAccessEntries: mode.UsesAccessEntries(),
		CreatorARN: p.CreatorARN, CreatorImplicit: mode == access.ModeConfigMap,
		Entries: make(map[string]resolve.Entry, len(p.Entries)),
	}
	if p.CreatorARN != "" {
		k, err := arn.Key(p.CreatorARN)
		if err != nil {
			return nil, fmt.Errorf("cluster creator: %w", err)
		}
		s.CreatorKey = k
	}
	if p.AWSAuth != nil {
		s.AWSAuth = awsauth.NewIndex(p.AWSAuth)
	}
	assocs := map[string][]access.AccessPolicyAssociation{}
	for _, a := range p.Associations {
		k, err := access.EntryKey(a.PrincipalARN)
		if err != nil {
			return nil, fmt.Errorf("association of %s: %w", a.PrincipalARN, err)
		}
		assocs[k] = append(assocs[k], a)
	}
	for _, e := range p.Entries {
		k, err := access.EntryKey(e.PrincipalARN)
		if err != nil {
			return nil, fmt.Errorf("access entry %s: %w", e.PrincipalARN, err)
		}
		s.Entries[k] = resolve.Entry{PrincipalARN: e.PrincipalARN, PrincipalID: e.PrincipalID, Username: e.Username, Groups: e.KubernetesGroups,
			Type: string(e.Type), Grants: access.Grants(assocs[k])}
	}
	return s, nil
}

// applyCluster is the cluster name, region and account Apply gives new
// access entries; only their ARNs show them.
const (
	applyCluster = "kubeiam"
	applyRegion  = "us-east-1"
)

// Apply returns the parts with the fix's action applied, validated as the
// fix's commands would validate it (access entries through the rules of
// CreateAccessEntry). p is not modified.
func Apply(p Parts, a Action, now time.Time) (Parts, error) {
	p.Entries = slices.Clone(p.Entries)
	p.Associations = slices.Clone(p.Associations)
	switch a.Kind {
	case ActionCreateAccessEntry:
		if err := access.RequireAccessEntries(modeOr(p.Mode)); err != nil {
			return p, err
		}
		pr, err := arn.Parse(a.PrincipalARN)
		if err != nil {
			return p, err
		}
		e, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: a.PrincipalARN, Username: a.Username, KubernetesGroups: a.Groups, Type: access.EntryType(a.Type)},
			applyCluster, applyRegion, pr.Account, now)
		if err != nil {
			return p, err
		}
		p.Entries = append(p.Entries, e)
		if a.PolicyARN != "" {
			return associate(p, e, a, now)
		}
	case ActionRecreateAccessEntry:
		return applyRecreate(p, a, now)
	case ActionUpdateAccessEntry:
		i, err := findEntry(p, a.PrincipalARN)
		if err != nil {
			return p, err
		}
		u := a.Username
		if p.Entries[i], err = access.UpdateEntry(p.Entries[i], access.UpdateEntryRequest{Username: &u}, now); err != nil {
			return p, err
		}
	case ActionAssociatePolicy:
		i, err := findEntry(p, a.PrincipalARN)
		if err != nil {
			return p, err
		}
		return associate(p, p.Entries[i], a, now)
	case ActionAddAWSAuth, ActionUpdateAWSAuth:
		return applyAWSAuth(p, a)
	case ActionSetMode:
		if err := access.ValidateModeChange(modeOr(p.Mode), access.Mode(a.Mode)); err != nil {
			return p, err
		}
		p.Mode = access.Mode(a.Mode)
	case ActionCreateBinding:
		p.RBAC = applyBinding(p.RBAC, a)
	default:
		return p, fmt.Errorf("unknown fix action %q", a.Kind)
	}
	return p, nil
}

func modeOr(m access.Mode) access.Mode {
	if m == "" {
		return access.ModeConfigMap
	}
	return m
}

func findEntry(p Parts, principal string) (int, error) {
	k, err := access.EntryKey(principal)
	if err != nil {
		return 0, err
	}
	for i, e := range p.Entries {
		if ek, _ := access.EntryKey(e.PrincipalARN); ek == k {
			return i, nil
		}
	}
	return 0, access.ErrEntryNotFound()
}

func associate(p Parts, e access.AccessEntry, a Action, now time.Time) (Parts, error) {
	scope := authz.Scope{Type: authz.ScopeType(a.ScopeType), Namespaces: a.Namespaces}
	as, err := access.Associate(e, nil, a.PolicyARN, scope, now)
	if err != nil {
		return p, err
	}
	p.Associations = append(p.Associations, as)
	return p, nil
}

func applyAWSAuth(p Parts, a Action) (Parts, error) {
	doc := &awsauth.Document{}
	if p.AWSAuth != nil {
		c := *p.AWSAuth
		c.Roles, c.Users = slices.Clone(c.Roles), slices.Clone(c.Users)
		doc = &c
	}
	i := deref(a.Index)
	switch {
	case a.Kind == ActionAddAWSAuth && a.Section == awsauth.KeyMapRoles:
		doc.Roles = append(doc.Roles, awsauth.RoleMapping{RoleARN: a.PrincipalARN, Username: a.Username, Groups: a.Groups})
	case a.Kind == ActionAddAWSAuth && a.Section == awsauth.KeyMapUsers:
		doc.Users = append(doc.Users, awsauth.UserMapping{UserARN: a.PrincipalARN, Username: a.Username, Groups: a.Groups})
	case a.Section == awsauth.KeyMapRoles && i < len(doc.Roles):
		doc.Roles[i] = awsauth.RoleMapping{RoleARN: a.PrincipalARN, Username: a.Username, Groups: a.Groups}
	case a.Section == awsauth.KeyMapUsers && i < len(doc.Users):
		doc.Users[i] = awsauth.UserMapping{UserARN: a.PrincipalARN, Username: a.Username, Groups: a.Groups}
	default:
		return p, fmt.Errorf("aws-auth %s[%d]: no such entry", a.Section, i)
	}
	if ps := awsauth.Validate(doc); ps.HasErrors() {
		return p, errors.New(ps.Errors()[0].String())
	}
	p.AWSAuth = doc
	return p, nil
}

func applyBinding(r *RBAC, a Action) *RBAC {
	out := &RBAC{}
	if r != nil {
		c := *r
		out = &c
	}
	subject := rbacv1.Subject{Kind: a.SubjectKind, Name: a.SubjectName, APIGroup: rbacv1.GroupName}
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: a.ClusterRole}
	if a.Namespace == "" {
		b := rbacv1.ClusterRoleBinding{Subjects: []rbacv1.Subject{subject}, RoleRef: ref}
		b.Name = a.BindingName
		out.ClusterRoleBindings = append(slices.Clone(out.ClusterRoleBindings), b)
		return out
	}
	b := rbacv1.RoleBinding{Subjects: []rbacv1.Subject{subject}, RoleRef: ref}
	b.Name, b.Namespace = a.BindingName, a.Namespace
	out.RoleBindings = append(slices.Clone(out.RoleBindings), b)
	return out
}

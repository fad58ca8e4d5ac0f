// Package migrate plans the move from the aws-auth ConfigMap to access
// entries: for each aws-auth mapping, the access entry and policy
// associations that grant the same access, or why none can. It is pure:
// the caller reads aws-auth and the existing entries, and carries out the
// plan through the access-management API.
package migrate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/partition"
)

// Action is what the plan does for one mapping.
type Action string

// The actions of a plan.
const (
	// ActionCreate: create the entry, then its associations.
	ActionCreate Action = "create"
	// ActionSkipExists: an equivalent entry exists; only the associations
	// listed (those missing) are still to be made.
	ActionSkipExists Action = "skip-exists"
	// ActionConflict: an entry for the principal exists and grants something
	// else; it is left alone, and in API_AND_CONFIG_MAP it wins already.
	ActionConflict Action = "conflict"
	// ActionManual: access entries cannot express the mapping; Reason says
	// what to do by hand.
	ActionManual Action = "manual"
	// ActionIgnore: the authenticator already ignores the mapping (a
	// duplicate), so there is nothing to migrate.
	ActionIgnore Action = "ignore"
)

// Mapping is one aws-auth mapping, as written.
type Mapping struct {
	// Source is mapRoles, mapUsers or mapAccounts; Index the position in it.
	Source string
	Index  int
	// ARN is the rolearn or userarn, the sso role pattern, or the account ID.
	ARN      string
	Username string
	Groups   []string
}

// Association is an access policy to associate with the entry.
type Association struct {
	PolicyARN string
	Scope     authz.Scope
}

// Existing is an access entry that exists already, with its associations.
type Existing struct {
	Entry        access.AccessEntry
	Associations []access.AccessPolicyAssociation
}

// Item is the plan for one mapping.
type Item struct {
	Mapping Mapping
	Action  Action
	// Entry is the CreateAccessEntry request (create), or the request that
	// the existing entry is equivalent to (skip-exists, conflict).
	Entry access.CreateEntryRequest
	// Associations are the associations still to be made.
	Associations []Association
	// Reason explains the action; for manual and conflict, what to do.
	Reason string
}

// Plan is the migration of one aws-auth document.
type Plan struct {
	Items []Item
	// Warnings concern the document as a whole.
	Warnings []string
}

// Complete reports whether every mapping has an access entry counterpart
// with all its associations, so that the cluster may move to API mode
// without anyone losing access.
func (p Plan) Complete() bool {
	for _, it := range p.Items {
		switch {
		case it.Action == ActionIgnore:
		case it.Action == ActionSkipExists && len(it.Associations) == 0:
		default:
			return false
		}
	}
	return true
}

// Redundant returns the items whose aws-auth mapping an access entry now
// fully replaces: they may be removed from aws-auth.
func (p Plan) Redundant() []Item {
	var out []Item
	for _, it := range p.Items {
		if it.Action == ActionSkipExists && len(it.Associations) == 0 {
			out = append(out, it)
		}
	}
	return out
}

// Count returns the number of items with action a.
func (p Plan) Count(a Action) int {
	n := 0
	for _, it := range p.Items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// NewPlan plans the migration of doc given the existing access entries.
func NewPlan(doc *awsauth.Document, existing []Existing) Plan {
	byKey := map[string]Existing{}
	for _, e := range existing {
		if k, err := access.EntryKey(e.Entry.PrincipalARN); err == nil {
			byKey[k] = e
		}
	}
	problems := awsauth.Validate(doc)
	var plan Plan
	if problems.HasErrors() {
		plan.Warnings = append(plan.Warnings, "aws-auth has errors, so the authenticator refuses all of it and keeps its last good version; fix them first (kubeiam aws-auth validate)")
	}
	for i, r := range doc.Roles {
		m := Mapping{Source: awsauth.KeyMapRoles, Index: i, ARN: r.RoleARN, Username: r.Username, Groups: slices.Clone(r.Groups)}
		if r.SSO != nil {
			m.ARN = fmt.Sprintf("arn:%s:iam::%s:role/AWSReservedSSO_%s_*", partitionOr(r.SSO.Partition), r.SSO.AccountID, r.SSO.PermissionSetName)
		}
		plan.Items = append(plan.Items, planMapping(m, r.SSO, problems, byKey))
	}
	for i, u := range doc.Users {
		m := Mapping{Source: awsauth.KeyMapUsers, Index: i, ARN: u.UserARN, Username: u.Username, Groups: slices.Clone(u.Groups)}
		plan.Items = append(plan.Items, planMapping(m, nil, problems, byKey))
	}
	for i, a := range doc.Accounts {
		plan.Items = append(plan.Items, Item{
			Mapping: Mapping{Source: awsauth.KeyMapAccounts, Index: i, ARN: a},
			Action:  ActionManual,
			Reason: "mapAccounts lets every principal of account " + a + " in, with its ARN as username; an access entry names one principal. " +
				"Create an entry for each principal of the account that needs access, then remove the account from aws-auth (kubeiam aws-auth remove --arn " + a + ")",
		})
	}
	return plan
}

func planMapping(m Mapping, sso *awsauth.SSOMapping, problems awsauth.Problems, byKey map[string]Existing) Item {
	it := Item{Mapping: m}
	for _, p := range problems {
		if p.Key != m.Source || p.Index != m.Index {
			continue
		}
		if p.Severity == awsauth.Error {
			it.Action, it.Reason = ActionManual, "the entry is invalid ("+p.Message+"); fix or remove it"
			return it
		}
		if p.Code == awsauth.CodeDuplicate {
			it.Action, it.Reason = ActionIgnore, "the authenticator ignores this entry: "+p.Message
			return it
		}
	}
	if sso != nil {
		it.Action = ActionManual
		it.Reason = fmt.Sprintf("an access entry names one role, and the role of permission set %s in account %s has a random suffix only IAM knows: "+
			"find it with aws iam list-roles --path-prefix %s and create its entry (its name changes when the permission set is re-provisioned)",
			sso.PermissionSetName, sso.AccountID, arn.SSOPathPrefix)
		return it
	}
	p, err := arn.Parse(m.ARN)
	if err != nil {
		it.Action, it.Reason = ActionManual, "the ARN does not parse: "+err.Error()
		return it
	}
	req, assocs, why := translate(p, m)
	if why != "" {
		it.Action, it.Reason = ActionManual, why
		return it
	}
	// Validated as for a cluster of the principal's own partition, which
	// access entries require.
	region := "us-east-1"
	if pp, ok := partition.New().Lookup(p.Partition); ok {
		region = pp.DefaultRegion
	}
	want, err := access.NewEntry(req, "migration", region, p.Account, time.Time{})
	if err != nil {
		it.Action, it.Reason = ActionManual, "access entries refuse it: "+err.Error()
		return it
	}
	it.Entry, it.Associations = req, assocs
	ex, ok := byKey[p.Key()]
	if !ok {
		it.Action, it.Reason = ActionCreate, describeEntry(want, assocs)
		return it
	}
	if diff := entryDiff(ex.Entry, want); diff != "" {
		it.Action, it.Associations = ActionConflict, nil
		it.Reason = "an access entry for " + ex.Entry.PrincipalARN + " exists with " + diff +
			"; it is left alone (it already wins over aws-auth in API_AND_CONFIG_MAP): update or delete it, or change aws-auth, to agree"
		return it
	}
	missing, conflict := missingAssociations(ex.Associations, assocs)
	if conflict != "" {
		it.Action, it.Associations = ActionConflict, nil
		it.Reason = conflict
		return it
	}
	it.Action, it.Associations = ActionSkipExists, missing
	it.Reason = "an equivalent access entry exists"
	if len(missing) > 0 {
		it.Reason += "; its policy association is missing and will be made"
	}
	return it
}

// The usernames and groups of node roles, which become node entries.
const (
	nodeUsernameEC2     = "system:node:{{EC2PrivateDNSName}}"
	nodeUsernameSession = "system:node:{{SessionName}}"
	groupMasters        = "system:masters"
)

// translate turns a mapping of principal p into an entry request and
// associations, or returns why it cannot.
func translate(p arn.Principal, m Mapping) (access.CreateEntryRequest, []Association, string) {
	req := access.CreateEntryRequest{PrincipalARN: p.Canonical()}
	switch p.Kind {
	case arn.KindRoot:
		return req, nil, "the account root user cannot have an access entry; map an IAM user or role instead"
	case arn.KindFederatedUser:
		return req, nil, "STS federated users cannot have an access entry; map an IAM user or role instead"
	case arn.KindUser:
		req.PrincipalARN = p.String() // a user's ARN keeps its path, as STS reports it
	}
	if t, ok := nodeType(m); ok {
		if p.Kind != arn.KindRole {
			return req, nil, "a node mapping for an IAM user: node access entries are for roles"
		}
		req.Type = t
		return req, nil, ""
	}
	if strings.HasPrefix(m.Username, "system:node:") {
		return req, nil, fmt.Sprintf("username %s with groups [%s] is a node identity no access entry type gives (EC2_LINUX: %s with system:nodes); create a node entry or RBAC by hand", m.Username, strings.Join(m.Groups, " "), nodeUsernameEC2)
	}
	var assocs []Association
	for _, g := range m.Groups {
		g = strings.ReplaceAll(g, "{{"+awsauth.VarAccountID+"}}", p.Account)
		switch {
		case g == groupMasters:
			assocs = append(assocs, Association{PolicyARN: "arn:" + p.Partition + ":eks::aws:cluster-access-policy/" + authz.ClusterAdminPolicyName, Scope: authz.Scope{Type: authz.ScopeCluster}})
		case strings.HasPrefix(g, "system:"):
			return req, nil, "group " + g + ": system: groups are not allowed in access entries; bind the RBAC that group has to a group of your own, map that, and migrate again"
		case strings.Contains(g, "{{"):
			return req, nil, "group " + g + ": access entry groups take no templates"
		default:
			req.KubernetesGroups = append(req.KubernetesGroups, g)
		}
	}
	username, why := entryUsername(p, m.Username)
	if why != "" {
		return req, nil, why
	}
	req.Username = username
	return req, assocs, ""
}

// entryUsername returns the access entry username for an aws-auth
// username: empty for the default one, which is what access entries use
// when given none.
func entryUsername(p arn.Principal, u string) (string, string) {
	u = strings.ReplaceAll(u, "{{"+awsauth.VarAccountID+"}}", p.Account)
	if p.Kind == arn.KindRole {
		def := "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{" + awsauth.VarSessionName + "}}"
		if strings.EqualFold(u, def) {
			return "", ""
		}
	}
	if p.Kind == arn.KindUser && (u == p.String() || u == p.Canonical()) {
		return "", ""
	}
	for _, v := range []string{awsauth.VarSessionName, awsauth.VarSessionNameRaw} {
		if !awsauth.UsesTemplate(u, v) {
			continue
		}
		if p.Kind != arn.KindRole {
			return "", "username " + u + ": {{" + v + "}} is a role session's name, and an IAM user has no session; pick a fixed username or the default one"
		}
		// EKS takes a session name template in a custom username when a
		// colon comes before it (access.ValidateUsername); aws-auth does
		// not ask for one.
		if v, bad := access.SessionNameWithoutColon(u); bad {
			return "", "username " + u + ": aws-auth takes {{" + v + "}} anywhere, an access entry username only after a colon; " +
				"use a username such as " + p.Name + ":{{" + v + "}}, or the default one, and migrate again"
		}
	}
	if awsauth.UsesTemplate(u, awsauth.VarAccessKeyID) {
		return "", "username " + u + ": access entries have no {{AccessKeyID}} template; pick a fixed username or the default one"
	}
	rest := strings.ReplaceAll(u, "{{"+awsauth.VarSessionName+"}}", "")
	if strings.Contains(strings.ReplaceAll(rest, "{{"+awsauth.VarSessionNameRaw+"}}", ""), "{{") {
		return "", "username " + u + ": access entries cannot expand this template"
	}
	return u, ""
}

// nodeType recognizes the mappings EKS gives node roles.
func nodeType(m Mapping) (access.EntryType, bool) {
	allowed := func(extra ...string) bool {
		if !slices.Contains(m.Groups, "system:nodes") {
			return false
		}
		for _, g := range m.Groups {
			if g != "system:nodes" && g != "system:bootstrappers" && !slices.Contains(extra, g) {
				return false
			}
		}
		return true
	}
	switch m.Username {
	case nodeUsernameEC2:
		if slices.Contains(m.Groups, "eks:kube-proxy-windows") && allowed("eks:kube-proxy-windows") {
			return access.EntryEC2Windows, true
		}
		if allowed() {
			return access.EntryEC2Linux, true
		}
	case nodeUsernameSession:
		if allowed("system:node-proxier") {
			return access.EntryFargateLinux, true
		}
	}
	return "", false
}

// entryDiff describes how an existing entry differs from the wanted one,
// "" when they grant the same identity.
func entryDiff(have, want access.AccessEntry) string {
	var d []string
	if have.Type != want.Type {
		d = append(d, fmt.Sprintf("type %s (aws-auth: %s)", have.Type, want.Type))
	}
	if have.Username != want.Username {
		d = append(d, fmt.Sprintf("username %s (aws-auth: %s)", have.Username, want.Username))
	}
	hg, wg := slices.Clone(have.KubernetesGroups), slices.Clone(want.KubernetesGroups)
	slices.Sort(hg)
	slices.Sort(wg)
	if !slices.Equal(hg, wg) {
		d = append(d, fmt.Sprintf("groups [%s] (aws-auth: [%s])", strings.Join(hg, " "), strings.Join(wg, " ")))
	}
	return strings.Join(d, ", ")
}

// missingAssociations returns the wanted associations that are not made,
// or a conflict when a policy is associated in another scope.
func missingAssociations(have []access.AccessPolicyAssociation, want []Association) ([]Association, string) {
	var missing []Association
	for _, w := range want {
		i := slices.IndexFunc(have, func(a access.AccessPolicyAssociation) bool { return a.PolicyARN == w.PolicyARN })
		switch {
		case i < 0:
			missing = append(missing, w)
		case have[i].Scope.Type != w.Scope.Type:
			return nil, fmt.Sprintf("the existing entry has %s in scope %s, aws-auth grants it cluster-wide; associate it at cluster scope yourself if that is intended", w.PolicyARN, have[i].Scope)
		}
	}
	return missing, ""
}

func describeEntry(e access.AccessEntry, assocs []Association) string {
	s := fmt.Sprintf("%s entry, username %s", e.Type, e.Username)
	if len(e.KubernetesGroups) > 0 {
		s += ", groups [" + strings.Join(e.KubernetesGroups, " ") + "]"
	}
	for _, a := range assocs {
		s += ", " + a.PolicyARN[strings.LastIndex(a.PolicyARN, "/")+1:] + " at " + a.Scope.String() + " scope"
	}
	return s
}

func partitionOr(p string) string {
	if p == "" {
		return "aws"
	}
	return p
}

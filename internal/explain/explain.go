package explain

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// Input is what to explain.
type Input struct {
	// Identity is a caller STS verified; when nil, ARN is taken on trust
	// (its session name is read from the ARN, its access key is unknown).
	Identity *identity.Identity
	ARN      string
	// Snapshot is every mapping source; nil is an empty CONFIG_MAP cluster.
	// Build one from files with Parts.Snapshot.
	Snapshot *resolve.Snapshot
	// Request, when set, is asked about once the caller is mapped.
	Request *Request
	// RBAC, when set, is the cluster's RBAC, for offline checks.
	RBAC *RBAC
	// ClusterName and EndpointURL go into the fix commands; ClusterName
	// defaults to CLUSTER.
	ClusterName string
	EndpointURL string
	// Resolve are the resolver's options, as the server uses them.
	Resolve resolve.Options
	// RejectedAWSAuth are the aws-auth versions the server refused while
	// the last good one stays in force.
	RejectedAWSAuth []RejectedAWSAuth
	// AWSAuthFile is the aws-auth file the server watches, when it reads
	// aws-auth from a file rather than the ConfigMap: aws-auth fixes then
	// edit that file (kubeiam aws-auth -f FILE).
	AWSAuthFile string
	// LastGranted is the server's last authentication of the caller's
	// principal, and Now the time: a recent grant that differs from the
	// result is noted, since kube-apiserver may still be using it.
	LastGranted *Granted
	Now         time.Time
}

// Explain explains how the snapshot's sources map the caller, and what
// allows or would allow the request. It never fails: an input it cannot
// use is a Report with a code that says so.
func Explain(in Input) Report {
	cmds := commands{cluster: in.ClusterName, endpoint: in.EndpointURL, awsAuthFile: in.AWSAuthFile}
	if cmds.cluster == "" {
		cmds.cluster = "CLUSTER"
	}
	id, r, ok := callerIdentity(in)
	if !ok {
		return r
	}
	s := in.Snapshot
	if s == nil {
		s = &resolve.Snapshot{Mode: string(access.ModeConfigMap), UseAWSAuth: true}
	}
	e := &explainer{in: in, id: id, s: s, cmds: cmds, r: r}
	e.run()
	e.cacheNote()
	return e.r
}

// callerIdentity returns the caller and a report with the ARN fields set.
func callerIdentity(in Input) (identity.Identity, Report, bool) {
	var id identity.Identity
	r := Report{ARN: in.ARN}
	if in.Identity != nil {
		id, r.ARN, r.Verified = *in.Identity, in.Identity.ARN, true
		if id.Principal.Kind == arn.KindUnknown {
			p, err := arn.Parse(id.ARN)
			if err != nil {
				return id, invalidARN(r, err), false
			}
			id.Principal = p
		}
	} else {
		p, err := arn.Parse(strings.TrimSpace(in.ARN))
		if err != nil {
			return id, invalidARN(r, err), false
		}
		if id, err = identity.FromARN(p.String(), p.Account, "", ""); err != nil {
			return id, invalidARN(r, err), false
		}
	}
	if id.CanonicalARN == "" {
		id.CanonicalARN = id.Principal.Canonical()
	}
	r.CanonicalARN = id.CanonicalARN
	r.ARNChanges = arnChanges(id.Principal)
	return id, r, true
}

func invalidARN(r Report, err error) Report {
	r.Verdict, r.Code, r.Reason = VerdictNotMapped, CodeInvalidARN, err.Error()
	r.Fixes = nil
	return r
}

// arnChanges says how the ARN became the one mappings match.
func arnChanges(p arn.Principal) []string {
	var out []string
	switch {
	case p.Kind == arn.KindAssumedRole:
		out = append(out, fmt.Sprintf("assumed-role session %q of role %s: mappings match the role, %s (the role's IAM path is not in a session ARN and is ignored)",
			p.Session, p.Name, p.Canonical()))
	case p.IsSSORole():
		out = append(out, fmt.Sprintf("IAM Identity Center path %s dropped: mappings match %s", p.Path, p.Canonical()))
	case p.HasPath():
		out = append(out, fmt.Sprintf("IAM path %s dropped: mappings match %s", p.Path, p.Canonical()))
	}
	if p.Name != strings.ToLower(p.Name) {
		out = append(out, fmt.Sprintf("letter case of %q is ignored: IAM names are unique case-insensitively", p.Name))
	}
	return out
}

// explainer holds one explanation in progress.
type explainer struct {
	in   Input
	id   identity.Identity
	s    *resolve.Snapshot
	cmds commands
	r    Report

	res      resolve.Result
	match    awsauth.Match
	matched  bool
	entry    resolve.Entry
	hasEntry bool
	causes   []Code // candidate causes of a failure, most specific first
	// groupFixed is set once a fix binds one of the caller's groups.
	groupFixed bool
}

func (e *explainer) run() {
	key := e.id.Key()
	if e.s.AWSAuth != nil {
		e.match, e.matched = e.s.AWSAuth.Lookup(e.id)
	}
	e.entry, e.hasEntry = e.s.Entries[key]
	e.res = resolve.Resolve(e.id, e.s, e.in.Resolve)
	e.r.Mode = e.s.Mode
	e.r.ModeNotes = modeNotes(e.s)
	e.sources(key)
	e.warnings()
	e.recreatedFinding()
	e.rejected()
	if !e.res.Mapped {
		e.nearMisses()
	}
	if e.res.Mapped {
		e.r.Mapped, e.r.Username, e.r.Groups, e.r.MappedBy = true, e.res.Username, e.res.Groups, e.res.SourceDetail
		for _, g := range e.res.Grants {
			e.r.Policies = append(e.r.Policies, Policy{ARN: g.PolicyARN, Scope: g.Scope.String()})
		}
		e.request()
		return
	}
	if e.in.Request != nil {
		e.r.Request = &RequestResult{Request: *e.in.Request, Description: e.attributes().String(),
			Reason: "not authenticated: kube-apiserver answers Unauthorized before any authorization"}
	}
	e.notMapped()
}

func modeNotes(s *resolve.Snapshot) []string {
	switch access.Mode(s.Mode) {
	case access.ModeConfigMap:
		return []string{"only aws-auth is consulted: access entries and their access policies are ignored",
			"the cluster creator is an implicit administrator (kubernetes-admin, system:masters)"}
	case access.ModeAPIAndConfigMap:
		return []string{"access entries are consulted first; an access entry wins over an aws-auth mapping",
			"the cluster creator has no implicit mapping: its access comes from its access entry"}
	case access.ModeAPI:
		return []string{"only access entries are consulted: aws-auth is ignored",
			"the cluster creator has no implicit mapping: its access comes from its access entry"}
	}
	return []string{"unknown authentication mode " + s.Mode}
}

// sources fills the report's sources, in the order Resolve consults them.
func (e *explainer) sources(key string) {
	s := e.s
	isCreator := s.CreatorKey != "" && key == s.CreatorKey
	creator := SourceCheck{Source: string(resolve.SourceCreator), Consulted: s.CreatorImplicit, Matched: isCreator}
	switch {
	case s.CreatorARN == "":
		creator.Detail = "no cluster creator configured"
	case isCreator && s.CreatorImplicit:
		creator.Detail = "you are the cluster creator " + s.CreatorARN + ": an implicit administrator"
	case isCreator:
		creator.Detail = "you are the cluster creator " + s.CreatorARN + ", implicit only in CONFIG_MAP mode"
	default:
		creator.Detail = "the cluster creator is " + s.CreatorARN + ", not you"
	}
	entry := SourceCheck{Source: string(resolve.SourceAccessEntry), Consulted: s.UseAccessEntries, Matched: e.hasEntry && !e.entryRecreated()}
	switch {
	case e.entryRecreated():
		entry.Detail = "access entry " + e.entry.PrincipalARN + " is bound to unique ID " + e.entry.PrincipalID +
			", not yours (" + resolve.PrincipalID(e.id) + "): it belongs to the deleted principal of the same ARN"
	case e.hasEntry:
		entry.Detail = "access entry " + e.entry.PrincipalARN + " (username " + e.entry.Username + ")"
	default:
		entry.Detail = "no access entry for " + e.id.CanonicalARN
	}
	if !s.UseAccessEntries {
		entry.Detail += "; not consulted in " + s.Mode + " mode"
	}
	e.r.Sources = append(e.r.Sources, creator, entry)
	for _, section := range []string{awsauth.KeyMapRoles, awsauth.KeyMapUsers, awsauth.KeyMapAccounts} {
		c := SourceCheck{Source: section, Consulted: s.UseAWSAuth}
		if e.matched && e.match.Source == section {
			c.Matched = true
			c.Detail = fmt.Sprintf("%s[%d] matches (%s)", section, e.match.Index, e.match.MatchedARN)
		} else {
			c.Detail = "no entry for " + e.id.CanonicalARN
		}
		if !s.UseAWSAuth {
			c.Detail += "; not consulted in " + s.Mode + " mode"
		}
		e.r.Sources = append(e.r.Sources, c)
	}
}

func (e *explainer) add(code Code, sev Severity, format string, args ...any) {
	e.r.Findings = append(e.r.Findings, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...)})
}

func (e *explainer) fix(f Fix) { e.r.Fixes = append(e.r.Fixes, e.cmds.render(f)) }

// warnings reports what matched but is ignored, or works only in kubeiam.
func (e *explainer) warnings() {
	s := e.s
	if e.matched && s.UseAWSAuth && e.match.ViaPath && !(s.UseAccessEntries && e.hasEntry) {
		if p, err := arn.Parse(e.match.MatchedARN); err == nil && p.HasPath() {
			e.add(CodeRolePathInMapping, SeverityWarning,
				"%s[%d] maps %s with its IAM path %s: kubeiam ignores the path, but the EKS authenticator does not, and the same aws-auth leaves you Unauthorized there; write the rolearn without the path",
				e.match.Source, e.match.Index, e.match.MatchedARN, p.Path)
			i := e.match.Index
			e.fix(Fix{Fixes: CodeRolePathInMapping, Summary: "remove the path from the rolearn of " + fmt.Sprintf("%s[%d]", e.match.Source, i),
				Action: Action{Kind: ActionUpdateAWSAuth, Section: e.match.Source, Index: &i, MappedARN: e.match.MatchedARN,
					PrincipalARN: p.Canonical(), Username: e.match.UsernameTemplate, Groups: e.match.GroupTemplates}})
		}
	}
	// An ignored source matters only when nothing else maps the caller.
	if e.hasEntry && !s.UseAccessEntries && !e.matched {
		e.add(CodeEntryIgnoredConfigMap, SeverityWarning,
			"access entry %s exists, but the authentication mode is %s, which consults aws-auth only", e.entry.PrincipalARN, s.Mode)
		e.causes = append(e.causes, CodeEntryIgnoredConfigMap)
	}
	if e.matched && !s.UseAWSAuth && !e.hasEntry {
		e.add(CodeAWSAuthIgnoredAPI, SeverityWarning,
			"aws-auth %s[%d] (%s) matches, but the authentication mode is %s, which ignores aws-auth", e.match.Source, e.match.Index, e.match.MatchedARN, s.Mode)
		e.causes = append(e.causes, CodeAWSAuthIgnoredAPI)
	}
	if s.CreatorKey != "" && e.id.Key() == s.CreatorKey && !s.CreatorImplicit && !e.hasEntry {
		e.add(CodeCreatorNotImplicit, SeverityError,
			"you are the cluster creator, but in %s mode the creator's admin is an access entry, and it has been deleted", s.Mode)
		e.causes = append(e.causes, CodeCreatorNotImplicit)
	}
}

// nearMisses reports mappings that differ from the caller in one detail.
func (e *explainer) nearMisses() {
	if e.s.AWSAuth != nil {
		for _, nm := range e.s.AWSAuth.NearMisses(e.id) {
			code := nearMissCode(nm.Kind, e.id.Principal)
			e.add(code, SeverityInfo, "near miss: %s", nm.Message)
			e.causes = append(e.causes, code)
		}
	}
	p := e.id.Principal
	for _, en := range e.s.Entries {
		q, err := arn.Parse(en.PrincipalARN)
		if err != nil || !strings.EqualFold(q.Name, p.Name) || q.Key() == p.Key() {
			continue
		}
		sameKind := isRole(q.Kind) == isRole(p.Kind)
		var code Code
		switch {
		case sameKind && q.Partition == p.Partition && q.Account != p.Account:
			code = CodeOtherAccount
			e.add(code, SeverityInfo, "near miss: access entry %s is for account %s, but you are in account %s", en.PrincipalARN, q.Account, p.Account)
		case !sameKind && q.Partition == p.Partition && q.Account == p.Account:
			code = nearMissCode(awsauth.NearMissWrongKind, p)
			e.add(code, SeverityInfo, "near miss: access entry %s is for a %s, but you are a %s", en.PrincipalARN, kindWord(q.Kind), kindWord(p.Kind))
		default:
			continue
		}
		e.causes = append(e.causes, code)
	}
}

func isRole(k arn.Kind) bool { return k == arn.KindRole || k == arn.KindAssumedRole }

func kindWord(k arn.Kind) string {
	if isRole(k) {
		return "role"
	}
	return "user"
}

func nearMissCode(k awsauth.NearMissKind, caller arn.Principal) Code {
	switch k {
	case awsauth.NearMissOtherAccount:
		return CodeOtherAccount
	case awsauth.NearMissOtherPartition:
		return CodeOtherPartition
	case awsauth.NearMissOtherPrincipalID:
		return CodePrincipalRecreated
	}
	if isRole(caller.Kind) {
		return CodeMappedAsUser
	}
	return CodeMappedAsRole
}

// notMapped sets the cause and the fixes of a caller nothing maps.
func (e *explainer) notMapped() {
	e.r.Verdict, e.r.Code, e.r.Reason = VerdictNotMapped, Code(e.res.Code), e.res.Reason
	if e.res.Code == resolve.CodeTemplateFailed && e.sessionRejected() {
		return
	}
	if e.res.Code == resolve.CodePrincipalRecreated {
		e.r.Reason = "ARN is not mapped: " + e.r.Findings[e.findingIndex(CodePrincipalRecreated)].Message
		e.recreateFix()
		return
	}
	if e.res.Code != resolve.CodeNotMapped {
		return // an EC2 or template failure: the reason says it all
	}
	if len(e.causes) > 0 {
		e.r.Code = e.causes[0]
		e.r.Reason = "ARN is not mapped: " + e.r.Findings[e.findingIndex(e.causes[0])].Message
	}
	switch e.r.Code {
	case CodeAWSAuthRejected:
		// rejected added the fix: correct the version the server refused.
	case CodePrincipalRecreated:
		// An aws-auth entry bound by userid to the deleted principal: the
		// finding says to write the new unique ID in it.
	case CodeEntryIgnoredConfigMap:
		// The mapping first: the mode change cannot be undone.
		e.mapFix(e.r.Code, true)
		e.fix(Fix{Fixes: e.r.Code, Summary: "or switch to API_AND_CONFIG_MAP so that access entries count; one-way: the mode can never go back to CONFIG_MAP, " +
			"and the cluster creator then keeps admin only through an access entry",
			Action: Action{Kind: ActionSetMode, Mode: string(access.ModeAPIAndConfigMap)}})
	case CodeAWSAuthIgnoredAPI:
		e.entryFromAWSAuth()
	case CodeCreatorNotImplicit:
		a := Action{Kind: ActionCreateAccessEntry, PrincipalARN: e.principalForEntry(),
			PolicyARN: authz.ClusterAdminPolicyARN, ScopeType: string(authz.ScopeCluster)}
		e.fix(Fix{Fixes: e.r.Code, Summary: "recreate the creator's access entry with AmazonEKSClusterAdminPolicy", Action: a})
	default:
		e.mapFix(e.r.Code, false)
	}
}

func (e *explainer) findingIndex(c Code) int {
	for i, f := range e.r.Findings {
		if f.Code == c {
			return i
		}
	}
	return 0
}

// principalForEntry is the IAM principal an access entry or mapping
// must name: the role of a session, without the path.
func (e *explainer) principalForEntry() string { return e.id.CanonicalARN }

// mapFix adds the mapping the mode consults, complete for the request
// (or, with none, for read-only access): an access entry with the least
// access policy that allows it, else an aws-auth mapping whose group is
// bound to the least ClusterRole that allows it. Neither is ever
// system:masters.
func (e *explainer) mapFix(code Code, awsAuthOnly bool) {
	principal := e.principalForEntry()
	a := e.wanted()
	if e.s.UseAccessEntries && !awsAuthOnly {
		act := Action{Kind: ActionCreateAccessEntry, PrincipalARN: principal}
		summary := "create an access entry for " + principal
		if policy, scope, ok := minimalPolicy(a); ok {
			act.PolicyARN, act.ScopeType, act.Namespaces = policy, string(scope.Type), scope.Namespaces
			summary += " with " + policyName(policy) + " (" + scope.String() + ")"
		}
		e.fix(Fix{Fixes: code, Summary: summary, Action: act})
		return
	}
	if !e.s.UseAWSAuth {
		return
	}
	section := awsauth.KeyMapUsers
	if isRole(e.id.Principal.Kind) {
		section = awsauth.KeyMapRoles
	}
	act := Action{Kind: ActionAddAWSAuth, Section: section, PrincipalARN: principal, Username: defaultUsername(e.id.Principal)}
	summary := "map " + principal + " in aws-auth " + section
	if role := minimalClusterRole(a); role != "" {
		group := "kubeiam:" + role
		act.Groups, act.ClusterRole = []string{group}, role
		if a.ResourceRequest {
			act.Namespace = a.Namespace
		}
		act.BindingName = bindingName("Group", group, role)
		where := "cluster-wide"
		if act.Namespace != "" {
			where = "in namespace " + act.Namespace
		}
		summary += " in group " + group + ", and bind that group to ClusterRole " + role + " " + where
	}
	e.fix(Fix{Fixes: code, Summary: summary, Action: act})
}

// wanted is the request to make work: the one asked about, or else
// reading pods cluster-wide, the least a new user usually needs.
func (e *explainer) wanted() authz.Attributes {
	if e.in.Request != nil {
		return e.attributes()
	}
	return authz.Attributes{ResourceRequest: true, Verb: "list", Resource: "pods"}
}

// defaultUsername is the username EKS gives an access entry: the user's
// ARN, or the role's session ARN with the session name templated.
func defaultUsername(p arn.Principal) string {
	if isRole(p.Kind) {
		return "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{SessionName}}"
	}
	return p.Canonical()
}

// entryFromAWSAuth proposes the access entry that does what the ignored
// aws-auth mapping did. Access entries refuse system: groups, so
// system:masters becomes AmazonEKSClusterAdminPolicy.
func (e *explainer) entryFromAWSAuth() {
	a := Action{Kind: ActionCreateAccessEntry, PrincipalARN: e.principalForEntry()}
	vars := awsauth.VarsFor(e.id)
	// The aws-auth username carries over when an access entry takes it
	// (access.ValidateUsername: no reserved prefix, a colon before
	// {{SessionName}}) and it expands for this caller; otherwise the entry
	// gets the default username.
	if u, _, err := (awsauth.Match{UsernameTemplate: e.match.UsernameTemplate}).Expand(vars); err == nil && !reservedPrefix(u) &&
		access.ValidateUsername(e.match.UsernameTemplate) == nil && e.match.Source != awsauth.KeyMapAccounts {
		a.Username = e.match.UsernameTemplate
	}
	for _, t := range e.match.GroupTemplates {
		g, err := awsauth.Expand(t, vars)
		switch {
		case err != nil:
		case g == systemMasters:
			a.PolicyARN, a.ScopeType = authz.ClusterAdminPolicyARN, string(authz.ScopeCluster)
		case !strings.HasPrefix(g, "system:"):
			a.Groups = append(a.Groups, g)
		}
	}
	e.fix(Fix{Fixes: e.r.Code, Summary: "create the access entry that replaces aws-auth " + fmt.Sprintf("%s[%d]", e.match.Source, e.match.Index), Action: a})
}

func reservedPrefix(u string) bool {
	for _, p := range []string{"system:", "eks:", "aws:", "amazon:", "iam:"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// sessionRejected recognizes a username template that this caller's
// session name breaks, and proposes the default username instead.
func (e *explainer) sessionRejected() bool {
	vars := awsauth.VarsFor(e.id)
	var template string
	var act Action
	username := defaultUsername(e.id.Principal)
	if e.s.UseAccessEntries && e.hasEntry {
		template = e.entry.Username
		act = Action{Kind: ActionUpdateAccessEntry, PrincipalARN: e.entry.PrincipalARN, Username: username}
	} else if e.matched && e.s.UseAWSAuth {
		template = e.match.UsernameTemplate
		i := e.match.Index
		act = Action{Kind: ActionUpdateAWSAuth, Section: e.match.Source, Index: &i, Username: username,
			MappedARN: e.match.MatchedARN, PrincipalARN: e.match.MatchedARN, Groups: e.match.GroupTemplates}
	} else {
		return false
	}
	_, _, err := awsauth.Match{UsernameTemplate: template}.Expand(vars)
	usesSession := awsauth.UsesTemplate(template, awsauth.VarSessionName) || awsauth.UsesTemplate(template, awsauth.VarSessionNameRaw)
	if !usesSession || !(errors.Is(err, awsauth.ErrNoSessionName) || errors.Is(err, awsauth.ErrReservedUsername)) {
		return false
	}
	e.r.Code = CodeSessionNameRejected
	e.add(CodeSessionNameRejected, SeverityError, "username template %q refuses your session name %q: %v", template, e.id.SessionName, err)
	e.fix(Fix{Fixes: CodeSessionNameRejected, Summary: "use a username template no session name can break: " + username, Action: act})
	return true
}

// attributes are the request as authz sees it.
func (e *explainer) attributes() authz.Attributes {
	q := e.in.Request
	a := authz.Attributes{User: e.r.Username, Groups: e.r.Groups, Verb: q.Verb}
	if q.Path != "" {
		a.NonResourcePath = q.Path
		return a
	}
	a.ResourceRequest = true
	a.APIGroup, a.Resource, a.Subresource, a.Name, a.Namespace = q.APIGroup, q.Resource, q.Subresource, q.Name, q.Namespace
	return a
}

// minimalPolicy returns the least privileged access policy, in the
// narrowest scope, that allows the request.
func minimalPolicy(a authz.Attributes) (string, authz.Scope, bool) {
	scope := authz.Scope{Type: authz.ScopeCluster}
	if a.ResourceRequest && a.Namespace != "" {
		scope = authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{a.Namespace}}
	}
	for _, p := range []string{authz.ViewPolicyARN, authz.AdminViewPolicyARN, authz.EditPolicyARN, authz.AdminPolicyARN, authz.ClusterAdminPolicyARN} {
		if authz.Authorize([]authz.Grant{{PolicyARN: p, Scope: scope}}, a).Allowed {
			return p, scope, true
		}
	}
	return "", authz.Scope{}, false
}

func policyName(policyARN string) string {
	return policyARN[strings.LastIndexByte(policyARN, '/')+1:]
}

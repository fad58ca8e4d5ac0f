package resolve

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/identity"
)

const account = "111122223333"

// The aws-auth ConfigMap every test resolves against.
var awsAuthData = map[string]string{
	awsauth.KeyMapRoles: `
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin:{{SessionName}}
  groups:
    - system:masters
    - team-{{AccountID}}
- rolearn: arn:aws:iam::111122223333:role/node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
    - node-{{EC2PrivateDNSName}}
- rolearn: arn:aws:iam::111122223333:role/raw
  username: "{{SessionNameRaw}}:admin"
  groups:
    - raw
`,
	awsauth.KeyMapUsers: `
- userarn: arn:aws:iam::111122223333:user/developer
  username: dev-{{AccessKeyID}}
  groups:
    - developers
- userarn: arn:aws:iam::111122223333:user/sessionless
  username: user-{{SessionName}}
`,
	awsauth.KeyMapAccounts: `
- "444455556666"
`,
}

var viewInDev = authz.Grant{
	PolicyARN: authz.ViewPolicyARN,
	Scope:     authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}},
}

// The access entries, by principal ARN.
var accessEntries = []Entry{
	{PrincipalARN: "arn:aws:iam::111122223333:user/developer", Username: "developer-entry", Groups: []string{"entry-devs"},
		Type: "STANDARD", Grants: []authz.Grant{viewInDev}},
	{PrincipalARN: "arn:aws:iam::111122223333:role/admin", Username: "arn:aws:sts::111122223333:assumed-role/admin/{{SessionName}}",
		Type: "STANDARD"},
	{PrincipalARN: "arn:aws:iam::111122223333:role/node", Username: "system:node:{{EC2PrivateDNSName}}",
		Groups: []string{"system:nodes"}, Type: "EC2_LINUX"},
	{PrincipalARN: "arn:aws:iam::111122223333:role/raw", Username: "{{SessionNameRaw}}:admin", Type: "STANDARD"},
	{PrincipalARN: "arn:aws:iam::111122223333:user/blank", Username: "", Type: "STANDARD"},
	{PrincipalARN: "arn:aws:iam::111122223333:user/creator", Username: "arn:aws:iam::111122223333:user/creator",
		Type: "STANDARD", Grants: []authz.Grant{{PolicyARN: authz.ClusterAdminPolicyARN, Scope: authz.Scope{Type: authz.ScopeCluster}}}},
}

func mustIdentity(t *testing.T, callerARN, userID, akid string) identity.Identity {
	t.Helper()
	p, err := arn.Parse(callerARN)
	if err != nil {
		t.Fatalf("arn.Parse(%q): %v", callerARN, err)
	}
	id, err := identity.FromARN(callerARN, p.Account, userID, akid)
	if err != nil {
		t.Fatalf("identity.FromARN(%q): %v", callerARN, err)
	}
	return id
}

func awsAuthIndex(t *testing.T) *awsauth.Index {
	t.Helper()
	doc, problems, err := awsauth.Parse(awsAuthData)
	if err != nil {
		t.Fatalf("awsauth.Parse: %v", err)
	}
	if problems.HasErrors() {
		t.Fatalf("aws-auth fixture has errors: %v", problems.Errors())
	}
	return awsauth.NewIndex(doc)
}

// snapshot builds a snapshot the way the server's mapper does for a mode.
func snapshot(t *testing.T, mode string) *Snapshot {
	t.Helper()
	s := &Snapshot{
		Mode:             mode,
		UseAWSAuth:       mode != "API",
		UseAccessEntries: mode != "CONFIG_MAP",
		CreatorARN:       "arn:aws:iam::111122223333:user/creator",
		CreatorImplicit:  mode == "CONFIG_MAP",
		AWSAuth:          awsAuthIndex(t),
		Entries:          map[string]Entry{},
	}
	key, err := arn.Key(s.CreatorARN)
	if err != nil {
		t.Fatal(err)
	}
	s.CreatorKey = key
	for _, e := range accessEntries {
		k, err := arn.Key(e.PrincipalARN)
		if err != nil {
			t.Fatal(err)
		}
		s.Entries[k] = e
	}
	return s
}

// The callers.
const (
	developerARN  = "arn:aws:iam::111122223333:user/developer"
	creatorARN    = "arn:aws:iam::111122223333:user/creator"
	aliceARN      = "arn:aws:sts::111122223333:assumed-role/admin/alice@example.com"
	nodeARN       = "arn:aws:sts::111122223333:assumed-role/node/i-0123456789abcdef0"
	rawSystemARN  = "arn:aws:sts::111122223333:assumed-role/raw/system"
	sessionlessU  = "arn:aws:iam::111122223333:user/sessionless"
	blankARN      = "arn:aws:iam::111122223333:user/blank"
	strangerARN   = "arn:aws:iam::999988887777:user/stranger"
	otherAcctARN  = "arn:aws:iam::444455556666:user/Bob"
	akid          = "AKIAIOSFODNN7EXAMPLE"
	nodeDNS       = "ip-10-0-0-1.ec2.internal"
	adminAWSAuth  = "mapRoles[0] (arn:aws:iam::111122223333:role/admin)"
	devAWSAuth    = "mapUsers[0] (arn:aws:iam::111122223333:user/developer)"
	nodeAWSAuth   = "mapRoles[1] (arn:aws:iam::111122223333:role/node)"
	noEntriesNote = "access entries not consulted: authentication mode is CONFIG_MAP"
)

func dnsResolver(name string, err error) func(identity.Identity) (string, error) {
	return func(identity.Identity) (string, error) { return name, err }
}

func TestResolve(t *testing.T) {
	errDescribe := errors.New("DescribeInstances: UnauthorizedOperation")
	tests := []struct {
		name   string
		mode   string
		caller string
		opts   Options
		// want is compared field by field, Reason excepted.
		want Result
		// reasonHas must occur in Reason (which quotes error text).
		reasonHas string
	}{
		{
			name: "CONFIG_MAP: the creator is an implicit administrator without any mapping",
			mode: "CONFIG_MAP", caller: creatorARN,
			want: Result{Mapped: true, Username: "kubernetes-admin", Groups: []string{"system:masters"},
				Source: SourceCreator, SourceDetail: "cluster creator " + creatorARN, Code: CodeMapped},
		},
		{
			name: "CONFIG_MAP: the creator's role session is not the creator",
			mode: "CONFIG_MAP", caller: "arn:aws:sts::111122223333:assumed-role/creator/s1",
			want: Result{Code: CodeNotMapped, Notes: []string{noEntriesNote,
				"no aws-auth mapping for arn:aws:iam::111122223333:role/creator"}},
			reasonHas: "ARN is not mapped",
		},
		{
			name: "API: the creator gets its bootstrapped access entry, not the implicit mapping",
			mode: "API", caller: creatorARN,
			want: Result{Mapped: true, Username: creatorARN, Source: SourceAccessEntry,
				SourceDetail: "access entry " + creatorARN, Code: CodeMapped,
				Grants: []authz.Grant{{PolicyARN: authz.ClusterAdminPolicyARN, Scope: authz.Scope{Type: authz.ScopeCluster}}}},
		},
		{
			name: "CONFIG_MAP: a role session maps through mapRoles with SessionName and AccountID expanded",
			mode: "CONFIG_MAP", caller: aliceARN,
			want: Result{Mapped: true, Username: "admin:alice-example.com", Groups: []string{"system:masters", "team-111122223333"},
				Source: SourceMapRoles, SourceDetail: adminAWSAuth, Code: CodeMapped, Notes: []string{noEntriesNote}},
		},
		{
			name: "CONFIG_MAP: a user maps through mapUsers with AccessKeyID expanded, its access entry unused",
			mode: "CONFIG_MAP", caller: developerARN,
			want: Result{Mapped: true, Username: "dev-" + akid, Groups: []string{"developers"},
				Source: SourceMapUsers, SourceDetail: devAWSAuth, Code: CodeMapped, Notes: []string{noEntriesNote}},
		},
		{
			name: "CONFIG_MAP: an account in mapAccounts maps any principal to its canonical ARN",
			mode: "CONFIG_MAP", caller: otherAcctARN,
			want: Result{Mapped: true, Username: otherAcctARN, Groups: []string{}, Source: SourceMapAccounts,
				SourceDetail: "mapAccounts[0] (444455556666)", Code: CodeMapped, Notes: []string{noEntriesNote}},
		},
		{
			name: "CONFIG_MAP: an unmapped caller is a result, not an error",
			mode: "CONFIG_MAP", caller: strangerARN,
			want:      Result{Code: CodeNotMapped, Notes: []string{noEntriesNote, "no aws-auth mapping for " + strangerARN}},
			reasonHas: "ARN is not mapped",
		},
		{
			name: "API_AND_CONFIG_MAP: the access entry wins over aws-auth and the shadowed mapping is noted",
			mode: "API_AND_CONFIG_MAP", caller: developerARN,
			want: Result{Mapped: true, Username: "developer-entry", Groups: []string{"entry-devs"},
				Source: SourceAccessEntry, SourceDetail: "access entry " + developerARN, Code: CodeMapped,
				Grants: []authz.Grant{viewInDev},
				Notes:  []string{"aws-auth " + devAWSAuth + " also matched; the access entry takes precedence"}},
		},
		{
			name: "API_AND_CONFIG_MAP: aws-auth maps a caller without an access entry",
			mode: "API_AND_CONFIG_MAP", caller: otherAcctARN,
			want: Result{Mapped: true, Username: otherAcctARN, Groups: []string{}, Source: SourceMapAccounts,
				SourceDetail: "mapAccounts[0] (444455556666)", Code: CodeMapped,
				Notes: []string{"no access entry for " + otherAcctARN}},
		},
		{
			name: "API_AND_CONFIG_MAP: the creator has no implicit mapping",
			mode: "API_AND_CONFIG_MAP", caller: creatorARN,
			want: Result{Mapped: true, Username: creatorARN, Source: SourceAccessEntry,
				SourceDetail: "access entry " + creatorARN, Code: CodeMapped,
				Grants: []authz.Grant{{PolicyARN: authz.ClusterAdminPolicyARN, Scope: authz.Scope{Type: authz.ScopeCluster}}}},
		},
		{
			name: "API_AND_CONFIG_MAP: unmapped in both sources notes both",
			mode: "API_AND_CONFIG_MAP", caller: strangerARN,
			want: Result{Code: CodeNotMapped, Notes: []string{"no access entry for " + strangerARN,
				"no aws-auth mapping for " + strangerARN}},
			reasonHas: "ARN is not mapped",
		},
		{
			name: "API: an aws-auth match without an access entry is ignored and noted",
			mode: "API", caller: otherAcctARN,
			want: Result{Code: CodeNotMapped, Notes: []string{"no access entry for " + otherAcctARN,
				"aws-auth mapAccounts[0] (444455556666) matched but is ignored: authentication mode is API"}},
			reasonHas: "ARN is not mapped",
		},
		{
			name: "API: the access entry maps and the aws-auth match it ignored is noted",
			mode: "API", caller: developerARN,
			want: Result{Mapped: true, Username: "developer-entry", Groups: []string{"entry-devs"},
				Source: SourceAccessEntry, SourceDetail: "access entry " + developerARN, Code: CodeMapped,
				Grants: []authz.Grant{viewInDev},
				Notes:  []string{"aws-auth " + devAWSAuth + " matched but is ignored: authentication mode is API"}},
		},
		{
			name: "API: a role session maps through its role's entry with the default username template",
			mode: "API", caller: aliceARN,
			want: Result{Mapped: true, Username: "arn:aws:sts::111122223333:assumed-role/admin/alice-example.com",
				Source: SourceAccessEntry, SourceDetail: "access entry arn:aws:iam::111122223333:role/admin", Code: CodeMapped,
				Notes: []string{"aws-auth " + adminAWSAuth + " matched but is ignored: authentication mode is API"}},
		},
		{
			name: "API: no entry and no aws-auth match",
			mode: "API", caller: strangerARN,
			want:      Result{Code: CodeNotMapped, Notes: []string{"no access entry for " + strangerARN}},
			reasonHas: "ARN is not mapped",
		},
		{
			name: "CONFIG_MAP: {{EC2PrivateDNSName}} without a resolver is EC2_PRIVATE_DNS_UNAVAILABLE",
			mode: "CONFIG_MAP", caller: nodeARN,
			want:      Result{Code: CodeEC2DNSUnavailable, Notes: []string{noEntriesNote}},
			reasonHas: "aws-auth " + nodeAWSAuth + " matched but",
		},
		{
			name: "CONFIG_MAP: {{EC2PrivateDNSName}} with a resolver names the node",
			mode: "CONFIG_MAP", caller: nodeARN, opts: Options{EC2PrivateDNSName: dnsResolver(nodeDNS, nil)},
			want: Result{Mapped: true, Username: "system:node:" + nodeDNS,
				Groups: []string{"system:bootstrappers", "system:nodes", "node-" + nodeDNS},
				Source: SourceMapRoles, SourceDetail: nodeAWSAuth, Code: CodeMapped, Notes: []string{noEntriesNote}},
		},
		{
			name: "CONFIG_MAP: an EC2 resolver failure is a template failure",
			mode: "CONFIG_MAP", caller: nodeARN, opts: Options{EC2PrivateDNSName: dnsResolver("", errDescribe)},
			want:      Result{Code: CodeTemplateFailed, Notes: []string{noEntriesNote}},
			reasonHas: "UnauthorizedOperation",
		},
		{
			name: "CONFIG_MAP: an EC2 resolver naming the node with a colon cannot forge a system: user",
			mode: "CONFIG_MAP", caller: nodeARN, opts: Options{EC2PrivateDNSName: dnsResolver("x:admin", nil)},
			want:      Result{Code: CodeTemplateFailed, Notes: []string{noEntriesNote}},
			reasonHas: "reserved",
		},
		{
			name: "API: a node access entry without an EC2 resolver is EC2_PRIVATE_DNS_UNAVAILABLE",
			mode: "API", caller: nodeARN,
			want: Result{Code: CodeEC2DNSUnavailable,
				Notes: []string{"aws-auth " + nodeAWSAuth + " matched but is ignored: authentication mode is API"}},
			reasonHas: "access entry arn:aws:iam::111122223333:role/node matched but",
		},
		{
			name: "API: a node access entry with an EC2 resolver",
			mode: "API", caller: nodeARN, opts: Options{EC2PrivateDNSName: dnsResolver(nodeDNS, nil)},
			want: Result{Mapped: true, Username: "system:node:" + nodeDNS, Groups: []string{"system:nodes"},
				Source: SourceAccessEntry, SourceDetail: "access entry arn:aws:iam::111122223333:role/node", Code: CodeMapped,
				Notes: []string{"aws-auth " + nodeAWSAuth + " matched but is ignored: authentication mode is API"}},
		},
		{
			name: "CONFIG_MAP: {{SessionName}} for an IAM user fails the template",
			mode: "CONFIG_MAP", caller: sessionlessU,
			want:      Result{Code: CodeTemplateFailed, Notes: []string{noEntriesNote}},
			reasonHas: "not an assumed-role session",
		},
		{
			name: "CONFIG_MAP: a session named system cannot expand {{SessionNameRaw}}:admin to system:admin",
			mode: "CONFIG_MAP", caller: rawSystemARN,
			want:      Result{Code: CodeTemplateFailed, Notes: []string{noEntriesNote}},
			reasonHas: "reserved",
		},
		{
			name: "API: a session named system cannot expand an access entry's {{SessionNameRaw}}:admin to system:admin",
			mode: "API", caller: rawSystemARN,
			want: Result{Code: CodeTemplateFailed, Notes: []string{
				"aws-auth mapRoles[2] (arn:aws:iam::111122223333:role/raw) matched but is ignored: authentication mode is API"}},
			reasonHas: "reserved",
		},
		{
			name: "API: an access entry with an empty username maps nobody",
			mode: "API", caller: blankARN,
			want:      Result{Code: CodeTemplateFailed},
			reasonHas: "empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := mustIdentity(t, tt.caller, "AIDAEXAMPLEUSERID", akid)
			got := Resolve(id, snapshot(t, tt.mode), tt.opts)
			checkResult(t, got, tt.want)
			if tt.reasonHas == "" && got.Reason != "" {
				t.Errorf("Reason = %q, want none", got.Reason)
			}
			if !strings.Contains(got.Reason, tt.reasonHas) {
				t.Errorf("Reason = %q, want it to contain %q", got.Reason, tt.reasonHas)
			}
		})
	}
}

func checkResult(t *testing.T, got, want Result) {
	t.Helper()
	if got.Mapped != want.Mapped || got.Username != want.Username || got.Code != want.Code {
		t.Errorf("Mapped, Username, Code = %v, %q, %s; want %v, %q, %s",
			got.Mapped, got.Username, got.Code, want.Mapped, want.Username, want.Code)
	}
	if !slices.Equal(got.Groups, want.Groups) || (want.Groups != nil) != (got.Groups != nil) {
		t.Errorf("Groups = %#v, want %#v", got.Groups, want.Groups)
	}
	if got.Source != want.Source || got.SourceDetail != want.SourceDetail {
		t.Errorf("Source = %q %q, want %q %q", got.Source, got.SourceDetail, want.Source, want.SourceDetail)
	}
	if !slices.EqualFunc(got.Grants, want.Grants, grantEqual) {
		t.Errorf("Grants = %+v, want %+v", got.Grants, want.Grants)
	}
	if !slices.Equal(got.Notes, want.Notes) {
		t.Errorf("Notes =\n  %q\nwant\n  %q", got.Notes, want.Notes)
	}
}

func grantEqual(a, b authz.Grant) bool {
	return a.PolicyARN == b.PolicyARN && a.Scope.Type == b.Scope.Type && slices.Equal(a.Scope.Namespaces, b.Scope.Namespaces)
}

func TestResolveNilSnapshotMapsNobody(t *testing.T) {
	got := Resolve(mustIdentity(t, developerARN, "AIDAEXAMPLEUSERID", akid), nil, Options{})
	if got.Mapped || got.Code != CodeNotMapped || got.Reason != "ARN is not mapped" {
		t.Errorf("Resolve with a nil snapshot = %+v, want ARN_NOT_MAPPED", got)
	}
}

func TestResolveCreatorImplicitNeedsItsKey(t *testing.T) {
	// A snapshot whose creator ARN did not parse has no key; it must not
	// make every caller whose key is also empty an administrator.
	s := &Snapshot{Mode: "CONFIG_MAP", UseAWSAuth: true, CreatorImplicit: true, CreatorARN: "not-an-arn"}
	id := identity.Identity{ARN: "garbage"}
	if got := Resolve(id, s, Options{}); got.Mapped {
		t.Errorf("caller with an empty key mapped as %q by %s", got.Username, got.Source)
	}
}

func TestResolveAsksTheEC2ResolverOncePerResolution(t *testing.T) {
	calls := 0
	var asked identity.Identity
	opts := Options{EC2PrivateDNSName: func(id identity.Identity) (string, error) {
		calls++
		asked = id
		return nodeDNS, nil
	}}
	id := mustIdentity(t, nodeARN, "AROAEXAMPLENODE:i-0123456789abcdef0", akid)
	got := Resolve(id, snapshot(t, "CONFIG_MAP"), opts)
	if !got.Mapped || got.Username != "system:node:"+nodeDNS {
		t.Fatalf("Resolve = %+v", got)
	}
	// The username and one group use {{EC2PrivateDNSName}}: one EC2 call.
	if calls != 1 {
		t.Errorf("EC2 resolver called %d times, want 1", calls)
	}
	if asked.ARN != nodeARN || asked.SessionName != "i-0123456789abcdef0" {
		t.Errorf("EC2 resolver asked about %+v, want the caller", asked)
	}
}

func TestResolveEC2ResolverNotCalledWhenNoTemplateUsesIt(t *testing.T) {
	opts := Options{EC2PrivateDNSName: func(identity.Identity) (string, error) {
		t.Error("EC2 resolver called for a mapping that does not use {{EC2PrivateDNSName}}")
		return "", nil
	}}
	for _, mode := range []string{"CONFIG_MAP", "API"} {
		if got := Resolve(mustIdentity(t, aliceARN, "AROAEXAMPLE:alice@example.com", akid), snapshot(t, mode), opts); !got.Mapped {
			t.Errorf("%s: Resolve = %+v", mode, got)
		}
	}
}

func TestResolveResultDoesNotAliasTheSnapshot(t *testing.T) {
	s := snapshot(t, "API")
	id := mustIdentity(t, developerARN, "AIDAEXAMPLEUSERID", akid)
	first := Resolve(id, s, Options{})
	first.Groups[0] = "system:masters"
	first.Grants[0].PolicyARN = authz.ClusterAdminPolicyARN
	first.Grants[0].Scope.Namespaces[0] = "*"
	second := Resolve(id, s, Options{})
	if second.Groups[0] != "entry-devs" {
		t.Errorf("changing a result's groups changed the snapshot: %q", second.Groups)
	}
	if !grantEqual(second.Grants[0], viewInDev) {
		t.Errorf("changing a result's grants changed the snapshot: %+v", second.Grants)
	}

	s = snapshot(t, "CONFIG_MAP")
	first = Resolve(id, s, Options{})
	first.Groups[0] = "system:masters"
	if second := Resolve(id, s, Options{}); second.Groups[0] != "developers" {
		t.Errorf("changing a result's aws-auth groups changed the index: %q", second.Groups)
	}
}

func TestCreatorGroupsReturnsACopy(t *testing.T) {
	g := CreatorGroups()
	g[0] = "changed"
	if got := CreatorGroups(); !slices.Equal(got, []string{"system:masters"}) {
		t.Errorf("CreatorGroups() = %q after a caller changed its copy", got)
	}
}

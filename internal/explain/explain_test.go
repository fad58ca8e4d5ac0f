package explain

import (
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
)

const (
	acct       = "111122223333"
	creatorARN = "arn:aws:iam::111122223333:user/creator"
)

var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func doc(t *testing.T, roles, users, accounts string) *awsauth.Document {
	t.Helper()
	data := map[string]string{}
	if roles != "" {
		data[awsauth.KeyMapRoles] = roles
	}
	if users != "" {
		data[awsauth.KeyMapUsers] = users
	}
	if accounts != "" {
		data[awsauth.KeyMapAccounts] = accounts
	}
	d, ps, err := awsauth.Parse(data)
	if err != nil || ps.HasErrors() {
		t.Fatalf("aws-auth fixture: %v %v", err, ps)
	}
	return d
}

func entry(principal, username string, groups ...string) access.AccessEntry {
	return access.AccessEntry{PrincipalARN: principal, Username: username, KubernetesGroups: groups, Type: access.EntryStandard}
}

func assoc(principal, policy string, namespaces ...string) access.AccessPolicyAssociation {
	s := authz.Scope{Type: authz.ScopeCluster}
	if len(namespaces) > 0 {
		s = authz.Scope{Type: authz.ScopeNamespace, Namespaces: namespaces}
	}
	return access.AccessPolicyAssociation{PrincipalARN: principal, PolicyARN: policy, Scope: s}
}

func getPods(ns string) *Request { return &Request{Verb: "get", Resource: "pods", Namespace: ns} }

func roleBinding(ns, name, role string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	b := rbacv1.RoleBinding{Subjects: subjects, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}}
	b.Name, b.Namespace = name, ns
	return b
}

func group(name string) rbacv1.Subject { return rbacv1.Subject{Kind: rbacv1.GroupKind, Name: name} }

type explainCase struct {
	name    string
	parts   func(t *testing.T) Parts
	arn     string
	req     *Request
	code    Code
	verdict Verdict
	// finding must be among the findings; fix is the action of the fix
	// for the code (or for the finding, when the code is not a failure).
	finding Code
	fix     ActionKind
}

func explainCases() []explainCase {
	return []explainCase{
		{
			name: "API: an access entry with AmazonEKSViewPolicy in dev allows get pods in dev",
			parts: func(t *testing.T) Parts {
				p := "arn:aws:iam::111122223333:role/dev"
				return Parts{Mode: access.ModeAPI, CreatorARN: creatorARN, Entries: []access.AccessEntry{entry(p, "dev:{{SessionName}}")},
					Associations: []access.AccessPolicyAssociation{assoc(p, authz.ViewPolicyARN, "dev")}}
			},
			arn: "arn:aws:sts::111122223333:assumed-role/dev/alice", req: getPods("dev"),
			code: CodeAllowedByPolicy, verdict: VerdictAllowed,
		},
		{
			name:  "API: nothing maps the caller; the fix is an access entry with the least policy",
			parts: func(t *testing.T) Parts { return Parts{Mode: access.ModeAPI, CreatorARN: creatorARN} },
			arn:   "arn:aws:iam::111122223333:user/developer", req: getPods("dev"),
			code: CodeNotMapped, verdict: VerdictNotMapped, fix: ActionCreateAccessEntry,
		},
		{
			name:  "CONFIG_MAP: nothing maps the caller; the fix is an aws-auth mapping",
			parts: func(t *testing.T) Parts { return Parts{Mode: access.ModeConfigMap, CreatorARN: creatorARN} },
			arn:   "arn:aws:sts::111122223333:assumed-role/dev/alice",
			code:  CodeNotMapped, verdict: VerdictNotMapped, fix: ActionAddAWSAuth,
		},
		{
			name: "CONFIG_MAP: a rolearn with a path maps in kubeiam, with a warning for EKS",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeConfigMap, AWSAuth: doc(t, `
- rolearn: arn:aws:iam::111122223333:role/teams/dev
  username: dev
  groups: [devs]
`, "", "")}
			},
			arn:  "arn:aws:sts::111122223333:assumed-role/dev/alice",
			code: CodeMapped, verdict: VerdictMapped, finding: CodeRolePathInMapping, fix: ActionUpdateAWSAuth,
		},
		{
			name: "CONFIG_MAP: the role is mapped in another account",
			parts: func(t *testing.T) Parts {
				return Parts{AWSAuth: doc(t, "- rolearn: arn:aws:iam::444455556666:role/dev\n  username: dev\n", "", "")}
			},
			arn:  "arn:aws:sts::111122223333:assumed-role/dev/alice",
			code: CodeOtherAccount, verdict: VerdictNotMapped, finding: CodeOtherAccount, fix: ActionAddAWSAuth,
		},
		{
			name: "CONFIG_MAP: mapped as a user, but the caller is a role",
			parts: func(t *testing.T) Parts {
				return Parts{AWSAuth: doc(t, "", "- userarn: arn:aws:iam::111122223333:user/dev\n  username: dev\n", "")}
			},
			arn:  "arn:aws:sts::111122223333:assumed-role/dev/alice",
			code: CodeMappedAsUser, verdict: VerdictNotMapped, finding: CodeMappedAsUser, fix: ActionAddAWSAuth,
		},
		{
			name: "CONFIG_MAP: mapped as a role, but the caller is a user",
			parts: func(t *testing.T) Parts {
				return Parts{AWSAuth: doc(t, "- rolearn: arn:aws:iam::111122223333:role/ops\n  username: ops\n", "", "")}
			},
			arn:  "arn:aws:iam::111122223333:user/ops",
			code: CodeMappedAsRole, verdict: VerdictNotMapped, finding: CodeMappedAsRole, fix: ActionAddAWSAuth,
		},
		{
			name: "API: an access entry for the same name in another account",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry("arn:aws:iam::444455556666:user/dev", "dev")}}
			},
			arn:  "arn:aws:iam::111122223333:user/dev",
			code: CodeOtherAccount, verdict: VerdictNotMapped, finding: CodeOtherAccount, fix: ActionCreateAccessEntry,
		},
		{
			name: "CONFIG_MAP: the access entry exists but the mode ignores it",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeConfigMap, Entries: []access.AccessEntry{entry("arn:aws:iam::111122223333:user/dev", "dev")}}
			},
			arn:  "arn:aws:iam::111122223333:user/dev",
			code: CodeEntryIgnoredConfigMap, verdict: VerdictNotMapped, finding: CodeEntryIgnoredConfigMap, fix: ActionAddAWSAuth,
		},
		{
			name: "API: the aws-auth entry is ignored; the fix is the equivalent access entry",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeAPI, AWSAuth: doc(t, `
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin:{{SessionName}}
  groups: [system:masters, admins]
`, "", "")}
			},
			arn: "arn:aws:sts::111122223333:assumed-role/admin/alice@example.com", req: &Request{Verb: "delete", Resource: "nodes"},
			code: CodeAWSAuthIgnoredAPI, verdict: VerdictNotMapped, finding: CodeAWSAuthIgnoredAPI, fix: ActionCreateAccessEntry,
		},
		{
			// EKS refuses {{SessionName}} without a colon before it in an
			// access entry username: the fix falls back to the default.
			name: "API: the ignored aws-auth username has no colon before {{SessionName}}; the fix uses the default username",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeAPI, AWSAuth: doc(t, `
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin{{SessionName}}
  groups: [system:masters]
`, "", "")}
			},
			arn: "arn:aws:sts::111122223333:assumed-role/admin/alice", req: &Request{Verb: "delete", Resource: "nodes"},
			code: CodeAWSAuthIgnoredAPI, verdict: VerdictNotMapped, finding: CodeAWSAuthIgnoredAPI, fix: ActionCreateAccessEntry,
		},
		{
			name: "RBAC given: the caller's group has no binding",
			parts: func(t *testing.T) Parts {
				return Parts{AWSAuth: doc(t, "", "- userarn: arn:aws:iam::111122223333:user/dev\n  username: dev\n  groups: [devs]\n", ""),
					RBAC: &RBAC{RoleBindings: []rbacv1.RoleBinding{roleBinding("dev", "ops-view", "view", group("ops"))}}}
			},
			arn: "arn:aws:iam::111122223333:user/dev", req: getPods("dev"),
			code: CodeNotAllowed, verdict: VerdictDenied, finding: CodeGroupWithoutBinding, fix: ActionCreateBinding,
		},
		{
			name: "RBAC given: a RoleBinding of view to the caller's group allows get pods",
			parts: func(t *testing.T) Parts {
				return Parts{AWSAuth: doc(t, "", "- userarn: arn:aws:iam::111122223333:user/dev\n  username: dev\n  groups: [devs]\n", ""),
					RBAC: &RBAC{RoleBindings: []rbacv1.RoleBinding{roleBinding("dev", "devs-view", "view", group("devs"))}}}
			},
			arn: "arn:aws:iam::111122223333:user/dev", req: getPods("dev"),
			code: CodeAllowedByRBAC, verdict: VerdictAllowed,
		},
		{
			name: "API: mapped without policies; RBAC decides and the fix is the least access policy",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry("arn:aws:iam::111122223333:user/dev", "dev")}}
			},
			arn: "arn:aws:iam::111122223333:user/dev", req: &Request{Verb: "create", Resource: "deployments", APIGroup: "apps", Namespace: "dev"},
			code: CodeRBACDecides, verdict: VerdictRBACDecides, fix: ActionAssociatePolicy,
		},
		{
			name: "CONFIG_MAP: a session named system cannot expand {{SessionNameRaw}}:admin",
			parts: func(t *testing.T) Parts {
				return Parts{AWSAuth: doc(t, "- rolearn: arn:aws:iam::111122223333:role/raw\n  username: \"{{SessionNameRaw}}:admin\"\n", "", "")}
			},
			arn:  "arn:aws:sts::111122223333:assumed-role/raw/system",
			code: CodeSessionNameRejected, verdict: VerdictNotMapped, finding: CodeSessionNameRejected, fix: ActionUpdateAWSAuth,
		},
		{
			name: "API: an access entry username with {{SessionName}} for an IAM user",
			parts: func(t *testing.T) Parts {
				return Parts{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry("arn:aws:iam::111122223333:user/dev", "dev-{{SessionName}}")}}
			},
			arn:  "arn:aws:iam::111122223333:user/dev",
			code: CodeSessionNameRejected, verdict: VerdictNotMapped, finding: CodeSessionNameRejected, fix: ActionUpdateAccessEntry,
		},
		{
			name:  "API_AND_CONFIG_MAP: the creator's access entry was deleted",
			parts: func(t *testing.T) Parts { return Parts{Mode: access.ModeAPIAndConfigMap, CreatorARN: creatorARN} },
			arn:   creatorARN, req: &Request{Verb: "get", Path: "/healthz"},
			code: CodeCreatorNotImplicit, verdict: VerdictNotMapped, finding: CodeCreatorNotImplicit, fix: ActionCreateAccessEntry,
		},
		{
			name:  "CONFIG_MAP: the creator is an implicit administrator",
			parts: func(t *testing.T) Parts { return Parts{CreatorARN: creatorARN} },
			arn:   creatorARN, req: &Request{Verb: "delete", Resource: "namespaces", Name: "prod"},
			code: CodeAllowedByRBAC, verdict: VerdictAllowed,
		},
		{
			name: "API: an access entry with AmazonAIOpsAssistantPolicy allows get pods anywhere",
			parts: func(t *testing.T) Parts {
				p := "arn:aws:iam::111122223333:role/investigations"
				return Parts{Mode: access.ModeAPI, CreatorARN: creatorARN, Entries: []access.AccessEntry{entry(p, "aiops")},
					Associations: []access.AccessPolicyAssociation{assoc(p, authz.AIOpsPolicyARN)}}
			},
			arn: "arn:aws:sts::111122223333:assumed-role/investigations/run", req: getPods("prod"),
			code: CodeAllowedByPolicy, verdict: VerdictAllowed,
		},
	}
}

func run(t *testing.T, p Parts, arn string, req *Request) Report {
	t.Helper()
	s, err := p.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return Explain(Input{ARN: arn, Snapshot: s, Request: req, RBAC: p.RBAC, ClusterName: "prod"})
}

func hasFinding(r Report, c Code) bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Code == c })
}

func TestExplainCauses(t *testing.T) {
	for _, tt := range explainCases() {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.parts(t), tt.arn, tt.req)
			if r.Code != tt.code || r.Verdict != tt.verdict {
				t.Fatalf("Code, Verdict = %s, %s; want %s, %s\nreason: %s\nfindings: %+v", r.Code, r.Verdict, tt.code, tt.verdict, r.Reason, r.Findings)
			}
			if tt.finding != "" && !hasFinding(r, tt.finding) {
				t.Errorf("findings %+v lack %s", r.Findings, tt.finding)
			}
			if tt.fix == "" {
				if len(r.Fixes) != 0 {
					t.Errorf("fixes %+v for an allowed request", r.Fixes)
				}
				return
			}
			f, ok := fixFor(r, tt)
			if !ok {
				t.Fatalf("no fix for %s among %+v", tt.code, r.Fixes)
			}
			if f.Action.Kind != tt.fix {
				t.Errorf("fix action = %s, want %s", f.Action.Kind, tt.fix)
			}
			if f.Kubeiam == "" && f.Kubectl == "" {
				t.Errorf("fix %+v has no command", f)
			}
		})
	}
}

func fixFor(r Report, tt explainCase) (Fix, bool) {
	want := tt.code
	if tt.verdict.OK() && tt.finding != "" || tt.code == CodeNotAllowed {
		want = tt.finding
	}
	for _, f := range r.Fixes {
		if f.Fixes == want {
			return f, true
		}
	}
	return Fix{}, false
}

// TestFixesFix applies each fix the way its command would and explains
// again: the caller is then let in, and the cause is gone.
func TestFixesFix(t *testing.T) {
	for _, tt := range explainCases() {
		if tt.fix == "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			p := tt.parts(t)
			f, ok := fixFor(run(t, p, tt.arn, tt.req), tt)
			if !ok {
				t.Fatal("no fix")
			}
			fixed, err := Apply(p, f.Action, now)
			if err != nil {
				t.Fatalf("Apply(%+v): %v", f.Action, err)
			}
			r := run(t, fixed, tt.arn, tt.req)
			if !r.Verdict.OK() || !r.Mapped {
				t.Fatalf("after %q: verdict %s (%s: %s)", f.Kubeiam+f.Kubectl, r.Verdict, r.Code, r.Reason)
			}
			if tt.req != nil && r.Verdict != VerdictAllowed && f.Action.Kind != ActionAddAWSAuth {
				t.Errorf("after %q the request is %s, want allowed: %s", f.Kubeiam+f.Kubectl, r.Verdict, r.Reason)
			}
			if tt.finding != "" && hasFinding(r, tt.finding) {
				t.Errorf("after the fix, %s is still reported: %+v", tt.finding, r.Findings)
			}
		})
	}
}

func TestExplainARNChanges(t *testing.T) {
	tests := []struct {
		arn, canonical, change string
	}{
		{"arn:aws:sts::111122223333:assumed-role/Dev/alice", "arn:aws:iam::111122223333:role/Dev", "assumed-role session"},
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
			"arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef", "IAM Identity Center path"},
		{"arn:aws:iam::111122223333:user/team/bob", "arn:aws:iam::111122223333:user/bob", "IAM path /team/ dropped"},
	}
	for _, tt := range tests {
		r := Explain(Input{ARN: tt.arn})
		if r.CanonicalARN != tt.canonical || !strings.Contains(strings.Join(r.ARNChanges, "\n"), tt.change) {
			t.Errorf("%s: canonical %s, changes %q", tt.arn, r.CanonicalARN, r.ARNChanges)
		}
	}
	if r := Explain(Input{ARN: "arn:aws:iam::111122223333:group/devs"}); r.Code != CodeInvalidARN || r.Verdict.OK() {
		t.Errorf("group ARN: %s %s", r.Code, r.Verdict)
	}
}

func TestFixCommands(t *testing.T) {
	r := run(t, Parts{Mode: access.ModeAPI}, "arn:aws:iam::111122223333:user/developer", getPods("dev"))
	f := r.Fixes[0]
	want := Fix{
		Kubeiam: "kubeiam access-entry create --principal-arn arn:aws:iam::111122223333:user/developer && " +
			"kubeiam access-policy associate --principal-arn arn:aws:iam::111122223333:user/developer --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --scope namespace --namespaces dev",
		AWS: "aws eks create-access-entry --cluster-name prod --principal-arn arn:aws:iam::111122223333:user/developer && " +
			"aws eks associate-access-policy --cluster-name prod --principal-arn arn:aws:iam::111122223333:user/developer --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=namespace,namespaces=dev",
	}
	if f.Kubeiam != want.Kubeiam || f.AWS != want.AWS {
		t.Errorf("commands:\n%s\n%s\nwant\n%s\n%s", f.Kubeiam, f.AWS, want.Kubeiam, want.AWS)
	}
	if got := shellJoin([]string{"kubeiam", "x", "--username", "a:{{SessionName}}", "it's"}); got != `kubeiam x --username 'a:{{SessionName}}' 'it'\''s'` {
		t.Errorf("shellJoin = %s", got)
	}
}

package migrate

import (
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
)

const acct = "111122223333"

func parse(t *testing.T, data map[string]string) *awsauth.Document {
	t.Helper()
	doc, _, err := awsauth.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func existing(t *testing.T, req access.CreateEntryRequest, policies ...string) Existing {
	t.Helper()
	e, err := access.NewEntry(req, "c", "us-east-1", acct, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ex := Existing{Entry: e}
	for _, p := range policies {
		scope := authz.Scope{Type: authz.ScopeCluster}
		if p == authz.ViewPolicyARN+"@ns" {
			p, scope = authz.ClusterAdminPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}
		}
		ex.Associations = append(ex.Associations, access.AccessPolicyAssociation{PrincipalARN: e.PrincipalARN, PolicyARN: p, Scope: scope})
	}
	return ex
}

func TestPlanEachMappingKind(t *testing.T) {
	role := func(name, username, groups string) string {
		return "- rolearn: arn:aws:iam::" + acct + ":role/" + name + "\n  username: \"" + username + "\"\n  groups: [" + groups + "]\n"
	}
	user := func(name, username, groups string) string {
		return "- userarn: arn:aws:iam::" + acct + ":user/" + name + "\n  username: \"" + username + "\"\n  groups: [" + groups + "]\n"
	}
	tests := []struct {
		name     string
		data     map[string]string
		existing []Existing
		action   Action
		entry    access.CreateEntryRequest
		assocs   []string
		reason   string
	}{
		{"admin role", map[string]string{"mapRoles": role("Admin", "admin", "system:masters, ops")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Admin", Username: "admin", KubernetesGroups: []string{"ops"}},
			[]string{authz.ClusterAdminPolicyARN}, "AmazonEKSClusterAdminPolicy at cluster scope"},
		{"role with default username", map[string]string{"mapRoles": role("Dev", "arn:aws:sts::"+acct+":assumed-role/Dev/{{SessionName}}", "devs")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Dev", KubernetesGroups: []string{"devs"}}, nil, "username arn:aws:sts::"},
		{"role with a path", map[string]string{"mapRoles": role("team/Dev", "dev", "devs")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Dev", Username: "dev", KubernetesGroups: []string{"devs"}}, nil, ""},
		{"AccountID template expanded", map[string]string{"mapRoles": role("Dev", "dev-{{AccountID}}", `"g-{{AccountID}}"`)}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Dev", Username: "dev-" + acct, KubernetesGroups: []string{"g-" + acct}}, nil, ""},
		{"user", map[string]string{"mapUsers": user("eng/alice", "arn:aws:iam::"+acct+":user/eng/alice", "devs")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":user/eng/alice", KubernetesGroups: []string{"devs"}}, nil, ""},
		{"linux node role", map[string]string{"mapRoles": role("Node", "system:node:{{EC2PrivateDNSName}}", "system:bootstrappers, system:nodes")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Node", Type: access.EntryEC2Linux}, nil, "EC2_LINUX"},
		{"windows node role", map[string]string{"mapRoles": role("Win", "system:node:{{EC2PrivateDNSName}}", "system:bootstrappers, system:nodes, eks:kube-proxy-windows")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Win", Type: access.EntryEC2Windows}, nil, ""},
		{"fargate role", map[string]string{"mapRoles": role("Pods", "system:node:{{SessionName}}", "system:bootstrappers, system:nodes, system:node-proxier")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Pods", Type: access.EntryFargateLinux}, nil, ""},
		{"odd node identity", map[string]string{"mapRoles": role("Node", "system:node:{{EC2PrivateDNSName}}", "system:nodes, ops")}, nil, ActionManual, access.CreateEntryRequest{}, nil, "no access entry type gives"},
		{"other system group", map[string]string{"mapRoles": role("R", "r", "system:bootstrappers")}, nil, ActionManual, access.CreateEntryRequest{}, nil, "system: groups are not allowed"},
		// EKS user guide, "Set a custom username for EKS access entries": a
		// session name template after a colon is a valid custom username.
		{"custom SessionName after a colon", map[string]string{"mapRoles": role("R", "r:{{SessionName}}", "devs")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/R", Username: "r:{{SessionName}}", KubernetesGroups: []string{"devs"}}, nil, "username r:{{SessionName}}"},
		{"the dev server's admin mapping", map[string]string{"mapRoles": role("admin", "admin:{{SessionName}}", "system:masters")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/admin", Username: "admin:{{SessionName}}"},
			[]string{authz.ClusterAdminPolicyARN}, "AmazonEKSClusterAdminPolicy at cluster scope"},
		{"SessionNameRaw after a colon", map[string]string{"mapRoles": role("R", "ci:{{AccountID}}:{{SessionNameRaw}}", "devs")}, nil, ActionCreate,
			access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/R", Username: "ci:" + acct + ":{{SessionNameRaw}}", KubernetesGroups: []string{"devs"}}, nil, ""},
		{"SessionNameRaw without a colon", map[string]string{"mapRoles": role("R", "{{SessionNameRaw}}", "devs")}, nil, ActionManual, access.CreateEntryRequest{}, nil,
			"username {{SessionNameRaw}}: aws-auth takes {{SessionNameRaw}} anywhere, an access entry username only after a colon; use a username such as R:{{SessionNameRaw}}"},
		{"SessionName before the colon", map[string]string{"mapRoles": role("R", "{{SessionName}}:dev", "devs")}, nil, ActionManual, access.CreateEntryRequest{}, nil, "only after a colon"},
		{"SessionName for a user", map[string]string{"mapUsers": user("bob", "bob:{{SessionName}}", "devs")}, nil, ActionManual, access.CreateEntryRequest{}, nil, "an IAM user has no session"},
		{"reserved username", map[string]string{"mapRoles": role("R", "eks:{{SessionName}}", "devs")}, nil, ActionManual, access.CreateEntryRequest{}, nil, "the eks: prefix is reserved"},
		{"AccessKeyID", map[string]string{"mapUsers": user("bob", "bob-{{AccessKeyID}}", "devs")}, nil, ActionManual, access.CreateEntryRequest{}, nil, "no {{AccessKeyID}}"},
		{"group template", map[string]string{"mapRoles": role("R", "r", `"{{SessionName}}"`)}, nil, ActionManual, access.CreateEntryRequest{}, nil, "take no templates"},
		{"root user", map[string]string{"mapUsers": "- userarn: arn:aws:iam::" + acct + ":root\n  username: root\n"}, nil, ActionManual, access.CreateEntryRequest{}, nil, "root user"},
		{"sso", map[string]string{"mapRoles": "- sso: {permissionSetName: Admin, accountID: \"" + acct + "\"}\n  username: a\n"}, nil, ActionManual, access.CreateEntryRequest{}, nil, "list-roles --path-prefix /aws-reserved/sso.amazonaws.com/"},
		{"account", map[string]string{"mapAccounts": "- \"" + acct + "\"\n"}, nil, ActionManual, access.CreateEntryRequest{}, nil, "remove --arn " + acct},
		{"invalid entry", map[string]string{"mapRoles": "- rolearn: arn:aws:sts::" + acct + ":assumed-role/R/s\n  username: r\n"}, nil, ActionManual, access.CreateEntryRequest{}, nil, "the entry is invalid"},
		{"exists, equivalent", map[string]string{"mapRoles": role("Admin", "admin", "system:masters")},
			[]Existing{existing(t, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/admin", Username: "admin"}, authz.ClusterAdminPolicyARN)},
			ActionSkipExists, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Admin", Username: "admin"}, nil, "equivalent"},
		{"exists, association missing", map[string]string{"mapRoles": role("Admin", "admin", "system:masters")},
			[]Existing{existing(t, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Admin", Username: "admin"})},
			ActionSkipExists, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Admin", Username: "admin"}, []string{authz.ClusterAdminPolicyARN}, "will be made"},
		{"exists, other username", map[string]string{"mapRoles": role("Admin", "admin", "ops")},
			[]Existing{existing(t, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Admin", Username: "root", KubernetesGroups: []string{"ops"}})},
			ActionConflict, access.CreateEntryRequest{}, nil, "username root (aws-auth: admin)"},
		{"exists, policy in namespace scope", map[string]string{"mapRoles": role("Admin", "admin", "system:masters")},
			[]Existing{existing(t, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Admin", Username: "admin"}, authz.ViewPolicyARN+"@ns")},
			ActionConflict, access.CreateEntryRequest{}, nil, "namespace [dev]"},
		{"exists as node entry", map[string]string{"mapRoles": role("Node", "system:node:{{EC2PrivateDNSName}}", "system:bootstrappers, system:nodes")},
			[]Existing{existing(t, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Node", Type: access.EntryEC2Linux})},
			ActionSkipExists, access.CreateEntryRequest{PrincipalARN: "arn:aws:iam::" + acct + ":role/Node", Type: access.EntryEC2Linux}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPlan(parse(t, tt.data), tt.existing)
			if len(p.Items) != 1 {
				t.Fatalf("items = %+v", p.Items)
			}
			it := p.Items[0]
			if it.Action != tt.action {
				t.Fatalf("action = %s (%s), want %s", it.Action, it.Reason, tt.action)
			}
			if !strings.Contains(it.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", it.Reason, tt.reason)
			}
			if tt.action == ActionCreate || tt.action == ActionSkipExists {
				if it.Entry.PrincipalARN != tt.entry.PrincipalARN || it.Entry.Username != tt.entry.Username ||
					it.Entry.Type != tt.entry.Type || strings.Join(it.Entry.KubernetesGroups, ",") != strings.Join(tt.entry.KubernetesGroups, ",") {
					t.Errorf("entry = %+v, want %+v", it.Entry, tt.entry)
				}
				var got []string
				for _, a := range it.Associations {
					if a.Scope.Type != authz.ScopeCluster {
						t.Errorf("scope = %v", a.Scope)
					}
					got = append(got, a.PolicyARN)
				}
				if strings.Join(got, ",") != strings.Join(tt.assocs, ",") {
					t.Errorf("associations = %v, want %v", got, tt.assocs)
				}
			}
			wantComplete := tt.action == ActionSkipExists && len(tt.assocs) == 0
			if p.Complete() != wantComplete {
				t.Errorf("Complete = %v", p.Complete())
			}
			if got := len(p.Redundant()); got != map[bool]int{true: 1}[wantComplete] {
				t.Errorf("Redundant = %d items", got)
			}
		})
	}
}

func TestPlanDuplicatesAndWarnings(t *testing.T) {
	doc := parse(t, map[string]string{"mapRoles": `- rolearn: arn:aws:iam::111122223333:role/A
  username: a
- rolearn: arn:aws:iam::111122223333:role/path/a
  username: b
- rolearn: arn:aws:iam::111122223333:user/x
  username: x
`})
	p := NewPlan(doc, nil)
	got := []Action{p.Items[0].Action, p.Items[1].Action, p.Items[2].Action}
	want := []Action{ActionCreate, ActionIgnore, ActionManual}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("item %d: %s (%s), want %s", i, got[i], p.Items[i].Reason, want[i])
		}
	}
	if len(p.Warnings) != 1 || p.Count(ActionCreate) != 1 {
		t.Errorf("warnings %v, creates %d", p.Warnings, p.Count(ActionCreate))
	}
}

func TestPlanPartition(t *testing.T) {
	doc := parse(t, map[string]string{"mapRoles": "- rolearn: arn:aws-cn:iam::111122223333:role/A\n  username: a\n  groups: [system:masters]\n"})
	p := NewPlan(doc, nil)
	if got := p.Items[0].Associations[0].PolicyARN; got != "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" {
		t.Errorf("policy = %s", got)
	}
}

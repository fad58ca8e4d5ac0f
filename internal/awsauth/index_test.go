package awsauth

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/identity"
)

func mustIdentity(t testing.TB, callerARN string) identity.Identity {
	t.Helper()
	id, err := identity.FromARN(callerARN, callerARN[len("arn:aws:sts::"):len("arn:aws:sts::")+12], "AROAEXAMPLE:s", "ASIAEXAMPLE")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

const indexFixture = `- rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
  groups: [system:masters]
- rolearn: arn:aws:iam::111122223333:role/team/PathRole
  username: path
- rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Viewer_0123456789abcdef
  username: viewer
- sso: {permissionSetName: Dev_Team, accountID: "111122223333"}
  username: dev:{{SessionName}}
  groups: [devs]
- rolearn: arn:aws:iam::111122223333:role/admin
  username: second
- rolearn: arn:aws:iam::111122223333:role/Bad
  username: system:kube-scheduler
- sso: {permissionSetName: Viewer, accountID: "111122223333"}
  username: sso-viewer
`

func fixtureIndex(t testing.TB) *Index {
	t.Helper()
	doc, _, err := Parse(map[string]string{
		KeyMapRoles:    indexFixture,
		KeyMapUsers:    "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n",
		KeyMapAccounts: "- \"444455556666\"\n- \"111122223333\"\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewIndex(doc)
}

func TestLookup(t *testing.T) {
	ix := fixtureIndex(t)
	tests := []struct {
		name    string
		caller  string
		source  string
		index   int
		viaPath bool
		user    string
	}{
		{"plain role", "arn:aws:iam::111122223333:role/Admin", KeyMapRoles, 0, false, "admin:{{SessionName}}"},
		{"assumed-role session", "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", KeyMapRoles, 0, false, "admin:{{SessionName}}"},
		{"case-insensitive, first wins", "arn:aws:sts::111122223333:assumed-role/ADMIN/s", KeyMapRoles, 0, false, "admin:{{SessionName}}"},
		{"path-ful mapping", "arn:aws:sts::111122223333:assumed-role/PathRole/s", KeyMapRoles, 1, true, "path"},
		{"sso path mapping, session of that role", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Viewer_0123456789abcdef/bob", KeyMapRoles, 2, true, "viewer"},
		{"sso permission set form", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_Team_fedcba9876543210/bob", KeyMapRoles, 3, true, "dev:{{SessionName}}"},
		{"sso permission set, any case", "arn:aws:sts::111122223333:assumed-role/awsreservedsso_dev_team_FEDCBA9876543210/bob", KeyMapRoles, 3, true, "dev:{{SessionName}}"},
		{"sso role ARN with path", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_Team_fedcba9876543210", KeyMapRoles, 3, true, "dev:{{SessionName}}"},
		{"exact beats sso", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Viewer_0123456789abcdef/bob", KeyMapRoles, 2, true, "viewer"},
		{"sso for another role of the set", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Viewer_1111111111111111/bob", KeyMapRoles, 6, true, "sso-viewer"},
		{"sso beats account", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_Team_fedcba9876543210/x", KeyMapRoles, 3, true, "dev:{{SessionName}}"},
		{"user beats account", "arn:aws:iam::111122223333:user/alice", KeyMapUsers, 0, false, "alice"},
		{"user", "arn:aws:iam::111122223333:user/Alice", KeyMapUsers, 0, false, "alice"},
		{"user with path", "arn:aws:iam::111122223333:user/staff/alice", KeyMapUsers, 0, false, "alice"},
		{"entry with an error is not indexed, account applies", "arn:aws:sts::111122223333:assumed-role/Bad/s", KeyMapAccounts, 1, false, "arn:aws:iam::111122223333:role/Bad"},
		{"sso suffix not hex falls to account", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_Team_zzzzzzzzzzzzzzzz/s", KeyMapAccounts, 1, false, "arn:aws:iam::111122223333:role/AWSReservedSSO_Dev_Team_zzzzzzzzzzzzzzzz"},
		{"mapAccounts", "arn:aws:iam::444455556666:user/carol", KeyMapAccounts, 0, false, "arn:aws:iam::444455556666:user/carol"},
		{"mapAccounts session gets canonical ARN", "arn:aws:sts::444455556666:assumed-role/Ops/x", KeyMapAccounts, 0, false, "arn:aws:iam::444455556666:role/Ops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := ix.Lookup(mustIdentity(t, tt.caller))
			if !ok {
				t.Fatal("no match")
			}
			if m.Source != tt.source || m.Index != tt.index || m.ViaPath != tt.viaPath || m.UsernameTemplate != tt.user {
				t.Errorf("got %+v, want %s[%d] viaPath=%v user %q", m, tt.source, tt.index, tt.viaPath, tt.user)
			}
		})
	}
}

func TestLookupNoMatch(t *testing.T) {
	ix := fixtureIndex(t)
	for _, caller := range []string{
		"arn:aws:iam::999999999999:role/Admin",
		"arn:aws:sts::999999999999:assumed-role/AWSReservedSSO_Dev_Team_fedcba9876543210/bob",
		"arn:aws:iam::999999999999:user/alice",
	} {
		if m, ok := ix.Lookup(mustIdentity(t, caller)); ok {
			t.Errorf("%s matched %+v", caller, m)
		}
	}
	if _, ok := ix.Lookup(identity.Identity{ARN: "not an arn"}); ok {
		t.Error("unparsable identity matched")
	}
	if _, ok := NewIndex(nil).Lookup(mustIdentity(t, "arn:aws:iam::111122223333:role/Admin")); ok {
		t.Error("empty index matched")
	}
}

func TestLookupUsesARNWhenPrincipalMissing(t *testing.T) {
	m, ok := fixtureIndex(t).Lookup(identity.Identity{ARN: "arn:aws:sts::111122223333:assumed-role/Admin/s"})
	if !ok || m.Index != 0 {
		t.Errorf("got %+v %v", m, ok)
	}
}

func TestLookupMatchedARNAndIsolation(t *testing.T) {
	ix := fixtureIndex(t)
	m, _ := ix.Lookup(mustIdentity(t, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_Team_fedcba9876543210/bob"))
	if m.MatchedARN != "arn:aws:iam::111122223333:role/AWSReservedSSO_Dev_Team_*" {
		t.Errorf("MatchedARN = %q", m.MatchedARN)
	}
	m.GroupTemplates[0] = "changed"
	m2, _ := ix.Lookup(mustIdentity(t, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_Team_fedcba9876543210/bob"))
	if m2.GroupTemplates[0] != "devs" {
		t.Error("a caller's change to a Match leaked into the index")
	}
	u, gs, err := m2.Expand(VarsFor(mustIdentity(t, "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Dev_Team_fedcba9876543210/bob@example.com")))
	if err != nil || u != "dev:bob-example.com" || len(gs) != 1 || gs[0] != "devs" {
		t.Errorf("Expand = %q %q %v", u, gs, err)
	}
}

func TestNearMisses(t *testing.T) {
	doc, _, err := Parse(map[string]string{
		KeyMapRoles: `- rolearn: arn:aws:iam::222233334444:role/Deploy
  username: deploy
- rolearn: arn:aws:iam::111122223333:role/alice
  username: alice-role
- rolearn: arn:aws-cn:iam::111122223333:role/Deploy
  username: deploy-cn
- sso: {permissionSetName: Admin, accountID: "222233334444"}
  username: admin
`,
		KeyMapUsers: "- userarn: arn:aws:iam::111122223333:user/Deploy\n  username: deploy-user\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(doc)
	type nm struct {
		kind   NearMissKind
		source string
		index  int
	}
	tests := []struct {
		name   string
		caller string
		want   []nm
	}{
		{"role: other account, partition and user", "arn:aws:sts::111122223333:assumed-role/deploy/s", []nm{
			{NearMissOtherAccount, KeyMapRoles, 0}, {NearMissOtherPartition, KeyMapRoles, 2}, {NearMissWrongKind, KeyMapUsers, 0}}},
		{"user mapped as role", "arn:aws:iam::111122223333:user/alice", []nm{{NearMissWrongKind, KeyMapRoles, 1}}},
		{"sso other account", "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/bob", []nm{{NearMissOtherAccount, KeyMapRoles, 3}}},
		{"nothing close", "arn:aws:iam::111122223333:user/zed", nil},
		{"two differences are not near", "arn:aws:iam::999999999999:user/alice", nil},
		{"root has no name", "arn:aws:iam::111122223333:root", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.NearMisses(mustIdentity(t, tt.caller))
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %v", got, tt.want)
			}
			for i, g := range got {
				if (nm{g.Kind, g.Source, g.Index}) != tt.want[i] || g.Message == "" || g.MappedARN == "" {
					t.Errorf("near miss %d = %+v, want %v", i, g, tt.want[i])
				}
			}
		})
	}
}

// TestNearMissNamesAmongMany: the names are found by binary search in a
// sorted slice; every name, first and last included, finds all its
// entries whatever their letter case, in ConfigMap order.
func TestNearMissNamesAmongMany(t *testing.T) {
	doc := &Document{}
	for i := range 300 {
		name := fmt.Sprintf("r%d", i%100)
		if i%2 == 1 {
			name = strings.ToUpper(name)
		}
		doc.Roles = append(doc.Roles, RoleMapping{RoleARN: "arn:aws:iam::111122223333:role/" + name, Username: "u"})
	}
	ix := NewIndex(doc)
	for n := range 100 {
		got := ix.NearMisses(mustIdentity(t, fmt.Sprintf("arn:aws:iam::999999999999:role/R%d", n)))
		var idx []int
		for _, g := range got {
			if g.Kind != NearMissOtherAccount || g.Source != KeyMapRoles {
				t.Fatalf("near miss %+v", g)
			}
			idx = append(idx, g.Index)
		}
		if want := []int{n, n + 100, n + 200}; !slices.Equal(idx, want) {
			t.Errorf("R%d: near misses at %v, want %v", n, idx, want)
		}
	}
}

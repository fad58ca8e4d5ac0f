package awsauth

import (
	"reflect"
	"strings"
	"testing"
)

func TestRenderGolden(t *testing.T) {
	d := &Document{
		Roles: []RoleMapping{
			{RoleARN: "arn:aws:iam::111122223333:role/NodeRole", Username: "system:node:{{EC2PrivateDNSName}}", Groups: []string{"system:bootstrappers", "system:nodes"}},
			{SSO: &SSOMapping{PermissionSetName: "Admin", AccountID: "011122223333"}, Username: "admin:{{SessionName}}", Groups: []string{"system:masters"}},
			{RoleARN: "arn:aws:iam::111122223333:role/NoGroups", Username: "123"},
		},
		Users:    []UserMapping{{UserARN: "arn:aws:iam::111122223333:user/alice", Username: "alice", Groups: []string{"devs"}}},
		Accounts: []string{"111122223333", "012345678901"},
		Other:    map[string]string{"note": "kept\n"},
	}
	got, err := d.Render()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		KeyMapRoles: `- rolearn: arn:aws:iam::111122223333:role/NodeRole
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- sso:
    permissionSetName: Admin
    accountID: "011122223333"
  username: admin:{{SessionName}}
  groups:
    - system:masters
- rolearn: arn:aws:iam::111122223333:role/NoGroups
  username: "123"
`,
		KeyMapUsers: `- userarn: arn:aws:iam::111122223333:user/alice
  username: alice
  groups:
    - devs
`,
		KeyMapAccounts: `- "111122223333"
- "012345678901"
`,
		"note": "kept\n",
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s:\n got:\n%s\nwant:\n%s", k, got[k], want[k])
		}
	}
	if len(got) != len(want) {
		t.Errorf("keys = %v", got)
	}
}

func TestRenderOmitsEmptyKeys(t *testing.T) {
	got, err := (&Document{Roles: []RoleMapping{}}).Render()
	if err != nil || len(got) != 0 {
		t.Errorf("Render of an empty document = %v, %v", got, err)
	}
}

func TestRenderRefusesInvalidUTF8(t *testing.T) {
	_, err := (&Document{Users: []UserMapping{{UserARN: "a", Username: "\xff"}}}).Render()
	if err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("err = %v", err)
	}
}

func TestRenderRoundTrip(t *testing.T) {
	inputs := []map[string]string{
		{KeyMapRoles: indexFixture, KeyMapAccounts: "- 111122223333\n"},
		{KeyMapUsers: "- UserArn: arn:aws:iam::111122223333:user/a\n  Username: 'yes'\n  groups: [null, '', 'a: b', \"multi\\nline\", \" lead\", \"#x\"]\n"},
		{KeyMapRoles: "- rolearn: x\n  sso: {partition: aws-cn}\n", "other": "- keep\n"},
		{KeyMapAccounts: "- 012345678901\n- 1.5e11\n- true\n-\n"},
	}
	for i, in := range inputs {
		doc, _, err := Parse(in)
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		out, err := doc.Render()
		if err != nil {
			t.Fatalf("input %d: render: %v", i, err)
		}
		again, _, err := Parse(out)
		if err != nil {
			t.Fatalf("input %d: reparse: %v\n%v", i, err, out)
		}
		if !reflect.DeepEqual(doc, again) {
			t.Errorf("input %d: round trip changed the document\n before %+v\n after  %+v\n%v", i, doc, again, out)
		}
	}
}

package awsauthedit

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// base is a hand-formatted aws-auth: comments and a non-canonical field
// order, which must survive edits of the other keys.
var base = map[string]string{
	"mapRoles": `# nodes
- rolearn: arn:aws:iam::111122223333:role/NodeRole
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]
- groups:
  - system:masters
  rolearn: arn:aws:iam::111122223333:role/Admin
  username: admin:{{SessionName}}
`,
	"mapUsers": `- userarn: arn:aws:iam::111122223333:user/alice  # Alice
  username: alice
  groups: [devs]
`,
	"note": "kept as is\n",
}

const creator = "arn:aws:iam::111122223333:user/creator"

// checkGolden compares got with testdata/NAME.golden; KUBEIAM_UPDATE_GOLDEN=1
// rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if os.Getenv("KUBEIAM_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with KUBEIAM_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

// describe formats a result for a golden file: notes, the complete data in
// key order, and the diff from the input.
func describe(in map[string]string, r Result) string {
	var b strings.Builder
	b.WriteString("# changed: " + strings.Join(r.Changed, ", ") + "\n")
	for _, n := range r.Notes {
		b.WriteString("# note: " + n + "\n")
	}
	keys := make([]string, 0, len(r.Data))
	for k := range r.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString("## data." + k + "\n" + r.Data[k])
	}
	b.WriteString("## diff\n" + Diff(in, r.Data))
	return b.String()
}

func TestChangeGolden(t *testing.T) {
	tests := []struct {
		name string
		edit Edit
	}{
		{"add-role", AddRole{ARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev:{{SessionName}}", Groups: []string{"devs", "viewers"}}},
		{"add-role-default-username", AddRole{ARN: "arn:aws:iam::111122223333:role/CI"}},
		{"add-role-path", AddRole{ARN: "arn:aws:iam::111122223333:role/teams/platform/Ops", Username: "ops", Groups: []string{"ops"}}},
		{"add-role-sso-path", AddRole{ARN: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_0123456789abcdef", Username: "ro:{{SessionName}}", Groups: []string{"viewers"}}},
		{"add-role-assumed", AddRole{ARN: "arn:aws:sts::111122223333:assumed-role/Dev/alice", Username: "dev", Groups: []string{"devs"}}},
		{"add-role-update", AddRole{ARN: "arn:aws:iam::111122223333:role/path/admin", Username: "root-admin", Groups: []string{"system:masters", "ops"}, Update: true}},
		{"add-user", AddUser{ARN: "arn:aws:iam::111122223333:user/eng/bob", Groups: []string{"devs"}}},
		{"add-user-update", AddUser{ARN: "arn:aws:iam::111122223333:user/ALICE", Username: "alice", Groups: []string{"devs", "ops"}, Update: true}},
		{"add-account", AddAccount{Account: "444455556666"}},
		{"add-sso", AddSSO{PermissionSet: "AdminAccess", Account: "111122223333", Username: "sso-admin:{{SessionName}}", Groups: []string{"system:masters"}}},
		{"remove-user", Remove{ARN: "arn:aws:iam::111122223333:user/alice"}},
		{"remove-role-by-session", Remove{ARN: "arn:aws:sts::111122223333:assumed-role/NodeRole/i-0123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Change(base, tt.edit, Guard{CreatorARN: creator})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, describe(base, r))
			for _, k := range []string{"mapRoles", "mapUsers", "mapAccounts", "note"} {
				if !slices.Contains(r.Changed, k) && r.Data[k] != base[k] {
					t.Errorf("%s is not in Changed but differs", k)
				}
			}
		})
	}
}

func TestChangeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		data  map[string]string
		edit  Edit
		guard Guard
		want  error
		msg   string
	}{
		{"duplicate role", base, AddRole{ARN: "arn:aws:iam::111122223333:role/admin", Username: "x"}, Guard{}, ErrExists, "--update"},
		{"duplicate role written with a path", base, AddRole{ARN: "arn:aws:iam::111122223333:role/p/Admin", Username: "x"}, Guard{}, ErrExists, "mapRoles[1]"},
		{"duplicate user", base, AddUser{ARN: "arn:aws:iam::111122223333:user/Alice"}, Guard{}, ErrExists, "--update"},
		{"duplicate account", map[string]string{"mapAccounts": "- \"111122223333\"\n"}, AddAccount{Account: "111122223333"}, Guard{}, ErrExists, "already maps account"},
		{"duplicate sso", map[string]string{"mapRoles": "- sso: {permissionSetName: Admin, accountID: \"111122223333\"}\n  username: a\n"}, AddSSO{PermissionSet: "admin", Account: "111122223333", Username: "b"}, Guard{}, ErrExists, "--update"},
		{"user given to add-role", base, AddRole{ARN: "arn:aws:iam::111122223333:user/bob"}, Guard{}, ErrInvalidInput, "add-user"},
		{"role given to add-user", base, AddUser{ARN: "arn:aws:iam::111122223333:role/bob"}, Guard{}, ErrInvalidInput, "add-role"},
		{"malformed ARN", base, AddRole{ARN: "arn:aws:iam::1:role/x"}, Guard{}, ErrInvalidInput, "12 digits"},
		{"bad account", base, AddAccount{Account: "1234"}, Guard{}, ErrInvalidInput, "12-digit"},
		{"sso without username", base, AddSSO{PermissionSet: "Admin", Account: "111122223333"}, Guard{}, ErrInvalidInput, "--username"},
		{"sso bad account", base, AddSSO{PermissionSet: "Admin", Account: "12", Username: "a"}, Guard{}, ErrInvalidInput, "accountID"},
		{"remove unknown", base, Remove{ARN: "arn:aws:iam::111122223333:role/Nobody"}, Guard{}, ErrNotFound, "aws-auth get"},
		{"remove wrong username", base, Remove{ARN: "arn:aws:iam::111122223333:user/alice", Username: "bob"}, Guard{}, ErrNotFound, "with username bob"},
		{"remove nothing named", base, Remove{}, Guard{}, ErrInvalidInput, "--arn"},
		{"reserved username", base, AddRole{ARN: "arn:aws:iam::111122223333:role/x", Username: "system:admin"}, Guard{}, ErrInvalidResult, "reserved-username"},
		{"unknown template", base, AddUser{ARN: "arn:aws:iam::111122223333:user/x", Username: "{{Nope}}"}, Guard{}, ErrInvalidResult, "unknown-template"},
		{"last admin, creator unknown", base, Remove{ARN: "arn:aws:iam::111122223333:role/Admin"}, Guard{}, ErrLastAdmin, "--creator-arn"},
		{"last admin besides the creator", map[string]string{"mapUsers": "- userarn: " + creator + "\n  username: c\n  groups: [system:masters]\n- userarn: arn:aws:iam::111122223333:user/ops\n  username: ops\n  groups: [system:masters]\n"},
			Remove{ARN: "arn:aws:iam::111122223333:user/ops"}, Guard{CreatorARN: creator}, ErrLastAdmin, "only the cluster creator"},
		{"admin demoted by update", base, AddRole{ARN: "arn:aws:iam::111122223333:role/Admin", Username: "a", Groups: []string{"devs"}, Update: true}, Guard{}, ErrLastAdmin, "--force"},
		{"unparseable", map[string]string{"mapRoles": "- rolearn: [\n"}, AddAccount{Account: "111122223333"}, Guard{}, ErrUnparseable, "restore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Change(tt.data, tt.edit, tt.guard)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.msg)
			}
		})
	}
}

func TestChangeForce(t *testing.T) {
	r, err := Change(base, Remove{ARN: "arn:aws:iam::111122223333:role/Admin"}, Guard{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Data["mapRoles"], "Admin") {
		t.Errorf("admin not removed:\n%s", r.Data["mapRoles"])
	}
	if _, err := Change(base, AddRole{ARN: "arn:aws:iam::111122223333:role/x", Username: "system:x"}, Guard{Force: true}); err != nil {
		t.Errorf("forced invalid result refused: %v", err)
	}
}

func TestRemovingTheCreatorOnlyIsAllowed(t *testing.T) {
	data := map[string]string{"mapUsers": "- userarn: " + creator + "\n  username: c\n  groups: [system:masters]\n"}
	r, err := Change(data, Remove{ARN: creator}, Guard{CreatorARN: creator})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Data["mapUsers"]; ok {
		t.Errorf("mapUsers kept without entries: %q", r.Data["mapUsers"])
	}
	if !slices.Equal(r.Changed, []string{"mapUsers"}) {
		t.Errorf("Changed = %v", r.Changed)
	}
}

func TestRemoveOneUsernameAndAccountsAndSSO(t *testing.T) {
	data := map[string]string{
		"mapRoles": `- rolearn: arn:aws:iam::111122223333:role/Dev
  username: dev-a
- rolearn: arn:aws:iam::111122223333:role/Dev
  username: dev-b
- sso: {permissionSetName: Admin, accountID: "111122223333"}
  username: a
`,
		"mapAccounts": "- \"111122223333\"\n- \"444455556666\"\n",
	}
	r, err := Change(data, Remove{ARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev-b"}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Data["mapRoles"], "dev-a") || strings.Contains(r.Data["mapRoles"], "dev-b") {
		t.Errorf("mapRoles:\n%s", r.Data["mapRoles"])
	}
	r, err = Change(data, Remove{ARN: "444455556666"}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Data["mapAccounts"] != "- \"111122223333\"\n" {
		t.Errorf("mapAccounts = %q", r.Data["mapAccounts"])
	}
	r, err = Change(data, Remove{PermissionSet: "ADMIN", Account: "111122223333"}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Data["mapRoles"], "sso") {
		t.Errorf("sso entry kept:\n%s", r.Data["mapRoles"])
	}
}

func TestAddAccountUpdateIsNoOp(t *testing.T) {
	data := map[string]string{"mapAccounts": "- '111122223333'\n"}
	r, err := Change(data, AddAccount{Account: "111122223333", Update: true}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Unchanged() || r.Data["mapAccounts"] != data["mapAccounts"] {
		t.Errorf("result = %+v", r)
	}
}

func TestEditsDoNotModifyTheirInput(t *testing.T) {
	data := map[string]string{"mapRoles": base["mapRoles"]}
	if _, err := Change(data, AddRole{ARN: "arn:aws:iam::111122223333:role/Admin", Username: "a", Groups: []string{"system:masters"}, Update: true}, Guard{}); err != nil {
		t.Fatal(err)
	}
	if data["mapRoles"] != base["mapRoles"] || len(data) != 1 {
		t.Errorf("input modified: %v", data)
	}
}

func TestRestore(t *testing.T) {
	current := map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/X\n  username: x\n", "extra": "1"}
	r, err := Restore(current, base, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Changed, []string{"extra", "mapRoles", "mapUsers", "note"}) {
		t.Errorf("Changed = %v", r.Changed)
	}
	for k, v := range base {
		if r.Data[k] != v {
			t.Errorf("%s = %q", k, r.Data[k])
		}
	}
	if _, err := Restore(base, map[string]string{}, Guard{}); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("restoring an empty backup over the last admin: err = %v", err)
	}
	if _, err := Restore(map[string]string{"mapRoles": "- [\n"}, base, Guard{}); err != nil {
		t.Errorf("restoring over unparseable data: %v", err)
	}
}

// explain's fix for a rolearn written with its path is one add-role
// --update with the path-less ARN: it replaces the entry in place, which
// the last-admin guard accepts, where remove-then-add is refused.
func TestDroppingTheRolePathOfTheLastAdminInOneStep(t *testing.T) {
	data := map[string]string{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/teams/admin\n  username: admin\n  groups:\n  - system:masters\n"}
	if _, err := Change(data, Remove{ARN: "arn:aws:iam::111122223333:role/teams/admin"}, Guard{}); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("remove of the last admin = %v, want %v", err, ErrLastAdmin)
	}
	res, err := Change(data, AddRole{ARN: "arn:aws:iam::111122223333:role/admin", Username: "admin", Groups: []string{"system:masters"}, Update: true}, Guard{})
	if err != nil {
		t.Fatalf("add-role --update: %v", err)
	}
	if got := res.Data["mapRoles"]; !strings.Contains(got, "rolearn: arn:aws:iam::111122223333:role/admin\n") || strings.Contains(got, "teams") {
		t.Errorf("mapRoles after add-role --update:\n%s", got)
	}
}

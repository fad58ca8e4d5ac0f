package awsauthedit

import (
	"errors"
	"strings"
	"testing"
)

// keikoproj/aws-auth parity: --append adds groups to an existing mapping.
func TestAppendAddsGroupsToTheExistingEntry(t *testing.T) {
	r, err := Change(base, AddUser{ARN: "arn:aws:iam::111122223333:user/alice", Groups: []string{"devs", "ops"}, Append: true}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Data["mapUsers"], "username: alice") || !strings.Contains(r.Data["mapUsers"], "- devs\n") ||
		!strings.Contains(r.Data["mapUsers"], "- ops\n") || strings.Count(r.Data["mapUsers"], "devs") != 1 {
		t.Errorf("mapUsers after append:\n%s", r.Data["mapUsers"])
	}
	r, err = Change(base, AddRole{ARN: "arn:aws:iam::111122223333:role/Admin", Groups: []string{"auditors"}, Append: true}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Data["mapRoles"], "system:masters") || !strings.Contains(r.Data["mapRoles"], "auditors") ||
		!strings.Contains(r.Data["mapRoles"], "admin:{{SessionName}}") {
		t.Errorf("mapRoles after append:\n%s", r.Data["mapRoles"])
	}
	// Every group already there: no change.
	r, err = Change(base, AddUser{ARN: "arn:aws:iam::111122223333:user/alice", Groups: []string{"devs"}, Append: true}, Guard{})
	if err != nil || !r.Unchanged() {
		t.Errorf("append of a group already there: changed %v, %v", r.Changed, err)
	}
	// A new principal is mapped as without --append.
	r, err = Change(base, AddUser{ARN: "arn:aws:iam::111122223333:user/bob", Username: "bob", Groups: []string{"devs"}, Append: true}, Guard{})
	if err != nil || !strings.Contains(r.Data["mapUsers"], "user/bob") {
		t.Errorf("append of a new principal: %v\n%s", err, r.Data["mapUsers"])
	}
}

func TestAppendRefusesWhatItCannotMean(t *testing.T) {
	alice := "arn:aws:iam::111122223333:user/alice"
	for name, e := range map[string]Edit{
		"with update":       AddUser{ARN: alice, Groups: []string{"x"}, Append: true, Update: true},
		"without groups":    AddRole{ARN: "arn:aws:iam::111122223333:role/Admin", Append: true},
		"another username":  AddUser{ARN: alice, Username: "not-alice", Groups: []string{"x"}, Append: true},
		"sso without group": AddSSO{PermissionSet: "Dev", Account: "111122223333", Append: true},
	} {
		if _, err := Change(base, e, Guard{}); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: %v; want ErrInvalidInput", name, err)
		}
	}
}

// keikoproj/aws-auth parity: remove-by-username.
func TestRemoveByUsernameAlone(t *testing.T) {
	data := map[string]string{
		"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/A\n  username: shared\n  groups: [g]\n" +
			"- rolearn: arn:aws:iam::111122223333:role/B\n  username: other\n  groups: [g]\n",
		"mapUsers": "- userarn: arn:aws:iam::111122223333:user/c\n  username: shared\n  groups: [g]\n",
	}
	r, err := Change(data, Remove{Username: "shared"}, Guard{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Data["mapRoles"], "role/A") || !strings.Contains(r.Data["mapRoles"], "role/B") || strings.Contains(r.Data["mapUsers"], "user/c") {
		t.Errorf("after remove --username shared:\n%s\n%s", r.Data["mapRoles"], r.Data["mapUsers"])
	}
	if _, err := Change(data, Remove{Username: "nobody"}, Guard{}); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "with username nobody") {
		t.Errorf("remove of an unknown username: %v", err)
	}
}

package awsauth

import (
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/identity"
)

// An aws-auth entry with a userid maps only the principal with that IAM
// unique ID, so a role or user deleted and recreated with the same name is
// not mapped (aws-iam-authenticator's userid field); without one, any
// principal of the ARN is, as before. Opt-in per entry.
func TestUserIDBindsAnEntryToOnePrincipal(t *testing.T) {
	doc, ps, err := Parse(map[string]string{
		KeyMapRoles: `
- rolearn: arn:aws:iam::111122223333:role/bound
  userid: AROAOLDROLEID00000001
  username: bound:{{SessionName}}
- rolearn: arn:aws:iam::111122223333:role/free
  username: free
`,
		KeyMapUsers: `
- userarn: arn:aws:iam::111122223333:user/alice
  userid: AIDAOLDUSERID00000001
  username: alice
`,
	})
	if err != nil || ps.HasErrors() || len(ps) != 0 {
		t.Fatalf("Parse: %v %v", err, ps)
	}
	if doc.Roles[0].UserID != "AROAOLDROLEID00000001" || doc.Users[0].UserID != "AIDAOLDUSERID00000001" {
		t.Fatalf("userid not read: %+v %+v", doc.Roles[0], doc.Users[0])
	}
	ix := NewIndex(doc)
	tests := []struct {
		name, arn, userID string
		want              bool
	}{
		{"the bound role's session", "arn:aws:sts::111122223333:assumed-role/bound/s1", "AROAOLDROLEID00000001:s1", true},
		{"a session of the recreated role", "arn:aws:sts::111122223333:assumed-role/bound/s1", "AROANEWROLEID00000002:s1", false},
		{"the bound user", "arn:aws:iam::111122223333:user/alice", "AIDAOLDUSERID00000001", true},
		{"the recreated user", "arn:aws:iam::111122223333:user/alice", "AIDANEWUSERID00000002", false},
		{"an entry without userid maps any principal of its ARN", "arn:aws:sts::111122223333:assumed-role/free/s1", "AROAANYROLEID00000003:s1", true},
		{"a caller without UserId (an ARN taken on trust)", "arn:aws:sts::111122223333:assumed-role/bound/s1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := identity.FromARN(tt.arn, "111122223333", tt.userID, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, got := ix.Lookup(id); got != tt.want {
				t.Errorf("Lookup = %v, want %v", got, tt.want)
			}
		})
	}

	// Rendering keeps the userid, so an edit does not unbind the entry.
	out, err := doc.Render()
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{KeyMapRoles: "userid: AROAOLDROLEID00000001", KeyMapUsers: "userid: AIDAOLDUSERID00000001"} {
		if !strings.Contains(out[key], want) {
			t.Errorf("rendered %s lacks %q:\n%s", key, want, out[key])
		}
	}
	back, _, err := Parse(out)
	if err != nil || back.Roles[0].UserID != doc.Roles[0].UserID || back.Users[0].UserID != doc.Users[0].UserID {
		t.Errorf("round trip lost the userid: %v %+v %+v", err, back.Roles, back.Users)
	}
}

// The recreated principal is a near miss that says why.
func TestUserIDMismatchIsANearMiss(t *testing.T) {
	doc, _, err := Parse(map[string]string{KeyMapRoles: "- rolearn: arn:aws:iam::111122223333:role/bound\n  userid: AROAOLDROLEID00000001\n  username: bound\n"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromARN("arn:aws:sts::111122223333:assumed-role/bound/s1", "111122223333", "AROANEWROLEID00000002:s1", "")
	if err != nil {
		t.Fatal(err)
	}
	nms := NewIndex(doc).NearMisses(id)
	if len(nms) != 1 || nms[0].Kind != NearMissOtherPrincipalID || !strings.Contains(nms[0].Message, "but yours is AROANEWROLEID00000002") {
		t.Fatalf("NearMisses = %+v", nms)
	}
}

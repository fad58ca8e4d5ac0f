package awsauth

import (
	"errors"
	"strings"
	"testing"
)

// want is the part of a Problem the tests assert: codes and lines are
// stable, messages may change.
type want struct {
	key   string
	index int
	line  int
	sev   Severity
	code  Code
}

func got(ps Problems) []want {
	var out []want
	for _, p := range ps {
		out = append(out, want{p.Key, p.Index, p.Line, p.Severity, p.Code})
	}
	return out
}

func equalWants(a, b []want) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func roles(lines ...string) map[string]string {
	return map[string]string{KeyMapRoles: strings.Join(lines, "\n") + "\n"}
}

func users(lines ...string) map[string]string {
	return map[string]string{KeyMapUsers: strings.Join(lines, "\n") + "\n"}
}

const (
	nodeRole  = "arn:aws:iam::111122223333:role/NodeRole"
	adminRole = "arn:aws:iam::111122223333:role/Admin"
	alice     = "arn:aws:iam::111122223333:user/alice"
)

func TestParseProblems(t *testing.T) {
	const R, U, A = KeyMapRoles, KeyMapUsers, KeyMapAccounts
	tests := []struct {
		name string
		data map[string]string
		want []want
	}{
		{"valid node role", roles(
			"- rolearn: "+nodeRole,
			"  username: system:node:{{EC2PrivateDNSName}}",
			"  groups:",
			"    - system:bootstrappers",
			"    - system:nodes"), nil},
		{"valid fargate role", roles("- rolearn: "+nodeRole, "  username: system:node:{{SessionName}}"), nil},
		{"valid user and account", map[string]string{
			U: "- userarn: " + alice + "\n  username: alice\n  groups: [devs]\n",
			A: "- \"111122223333\"\n- 444455556666\n"}, nil},
		{"empty values", map[string]string{R: "", U: "  \n", A: "[]"}, nil},
		{"null value", map[string]string{R: "~"}, nil},
		{"invalid arn", roles("- rolearn: arn:aws:iam::1234:role/x", "  username: x"),
			[]want{{R, 0, 1, Error, CodeInvalidARN}}},
		{"not an arn", roles("- username: x", "  rolearn: Admin"),
			[]want{{R, 0, 2, Error, CodeInvalidARN}}},
		{"assumed-role arn", roles("- rolearn: arn:aws:sts::111122223333:assumed-role/Admin/alice", "  username: x"),
			[]want{{R, 0, 1, Error, CodeAssumedRoleARN}}},
		{"role with path", roles("- rolearn: arn:aws:iam::111122223333:role/team/Admin", "  username: x"),
			[]want{{R, 0, 1, Warning, CodeRolePath}}},
		{"sso role with path", roles("- rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef", "  username: x"),
			[]want{{R, 0, 1, Warning, CodeRolePath}}},
		{"user in mapRoles", roles("- rolearn: "+alice, "  username: x"),
			[]want{{R, 0, 1, Error, CodeWrongSection}}},
		{"role in mapUsers", users("- userarn: "+adminRole, "  username: x"),
			[]want{{U, 0, 1, Error, CodeWrongSection}}},
		{"session in mapUsers", users("- userarn: arn:aws:sts::111122223333:assumed-role/Admin/s", "  username: x"),
			[]want{{U, 0, 1, Error, CodeWrongSection}}},
		{"root in mapUsers", users("- userarn: arn:aws:iam::111122223333:root", "  username: root-admin"), nil},
		{"missing userarn", users("- username: x"), []want{{U, 0, 1, Error, CodeMissingARN}}},
		{"missing rolearn and sso", roles("- groups: [a]", "  username: x"), []want{{R, 0, 1, Error, CodeMissingARN}}},
		{"missing username", roles("- rolearn: "+adminRole, "  groups: [a]"), []want{{R, 0, 1, Error, CodeMissingUsername}}},
		{"blank username", roles("- rolearn: "+adminRole, "  username: ' '"), []want{{R, 0, 2, Error, CodeMissingUsername}}},
		{"valid sso", roles("- sso:", "    permissionSetName: Admin", "    accountID: '111122223333'", "  username: admin:{{SessionName}}"), nil},
		{"sso missing fields", roles("- username: x", "  sso: {}"),
			[]want{{R, 0, 2, Error, CodeSSOField}, {R, 0, 2, Error, CodeSSOField}}},
		{"sso bad account", roles("- username: x", "  sso: {permissionSetName: Admin, accountID: '1234'}"),
			[]want{{R, 0, 2, Error, CodeSSOField}}},
		{"sso bad permission set", roles("- username: x", "  sso: {permissionSetName: 'Ad min', accountID: '111122223333'}"),
			[]want{{R, 0, 2, Error, CodeSSOField}}},
		{"sso bad partition", roles("- username: x", "  sso: {permissionSetName: Admin, accountID: '111122223333', partition: mars}"),
			[]want{{R, 0, 2, Error, CodeSSOField}}},
		{"sso unknown field", roles("- username: x", "  sso: {permissionSetName: Admin, accountID: '111122223333', region: eu-west-1}"),
			[]want{{R, 0, 2, Warning, CodeUnknownField}}},
		{"rolearn and sso", roles("- rolearn: "+adminRole, "  username: x", "  sso: {permissionSetName: Admin, accountID: '111122223333'}"),
			[]want{{R, 0, 3, Error, CodeARNAndSSO}}},
		{"duplicate role, other case and path", roles(
			"- rolearn: "+adminRole, "  username: a",
			"- rolearn: arn:aws:iam::111122223333:role/x/ADMIN", "  username: b"),
			[]want{{R, 1, 3, Warning, CodeRolePath}, {R, 1, 3, Warning, CodeDuplicate}}},
		{"duplicate sso", roles(
			"- sso: {permissionSetName: Admin, accountID: '111122223333'}", "  username: a",
			"- sso: {permissionSetName: admin, accountID: '111122223333', partition: aws}", "  username: b"),
			[]want{{R, 1, 3, Warning, CodeDuplicate}}},
		{"duplicate user", users("- userarn: "+alice, "  username: a", "- userarn: "+strings.ToUpper(alice[:0])+"arn:aws:iam::111122223333:user/Alice", "  username: b"),
			[]want{{U, 1, 3, Warning, CodeDuplicate}}},
		{"reserved aws:", roles("- rolearn: "+adminRole, "  username: aws:admin"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"reserved amazon:", roles("- rolearn: "+adminRole, "  username: amazon:x"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"reserved eks:", roles("- rolearn: "+adminRole, "  username: eks:x"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"reserved iam:", roles("- rolearn: "+adminRole, "  username: iam:x"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"reserved system: component", roles("- rolearn: "+adminRole, "  username: system:kube-controller-manager"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"reserved System: any case", users("- userarn: "+alice, "  username: System:masters"), []want{{U, 0, 2, Error, CodeReservedUsername}}},
		{"reserved empty node name", roles("- rolearn: "+adminRole, "  username: 'system:node:'"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"reserved node name with colon", roles("- rolearn: "+adminRole, "  username: system:node:a:b"), []want{{R, 0, 2, Error, CodeReservedUsername}}},
		{"literal node name allowed", roles("- rolearn: "+adminRole, "  username: system:node:ip-10-0-0-1"), nil},
		{"system group allowed", roles("- rolearn: "+adminRole, "  username: admin", "  groups: [system:masters]"), nil},
		{"unknown template in username", roles("- rolearn: "+adminRole, "  username: '{{Foo}}'"), []want{{R, 0, 2, Error, CodeUnknownTemplate}}},
		{"stray braces", roles("- rolearn: "+adminRole, "  username: 'a{{SessionName'"), []want{{R, 0, 2, Error, CodeUnknownTemplate}}},
		{"unknown template in group", roles("- rolearn: "+adminRole, "  username: a", "  groups:", "    - ok", "    - 'g-{{sessionname}}'"),
			[]want{{R, 0, 5, Error, CodeUnknownTemplate}}},
		{"empty group", roles("- rolearn: "+adminRole, "  username: a", "  groups:", "    - a", "    - ''", "    -"),
			[]want{{R, 0, 5, Error, CodeEmptyGroup}, {R, 0, 6, Error, CodeEmptyGroup}}},
		{"session name on user", users("- userarn: "+alice, "  username: '{{SessionName}}'", "  groups: ['{{EC2PrivateDNSName}}']"),
			[]want{{U, 0, 2, Warning, CodeSessionOnUser}, {U, 0, 3, Warning, CodeSessionOnUser}}},
		{"unknown field", roles("- rolearn: "+adminRole, "  username: a", "  namespace: x"), []want{{R, 0, 3, Warning, CodeUnknownField}}},
		{"accounts", map[string]string{A: "- 111122223333\n- '1234'\n- 012345678901\n- \"111122223333\"\n-\n"},
			[]want{{A, 2, 3, Error, CodeAccountNumber}, {A, 1, 2, Error, CodeInvalidAccount}, {A, 3, 4, Warning, CodeDuplicate}, {A, 4, 5, Error, CodeInvalidAccount}}},
		{"sso account with leading zero unquoted", roles("- username: x", "  sso:", "    permissionSetName: Admin", "    accountID: 012345678901"),
			[]want{{R, 0, 4, Error, CodeAccountNumber}}},
		{"unknown key", map[string]string{"maproles": "x", "other": "y"},
			[]want{{"maproles", -1, 0, Warning, CodeUnknownKey}, {"other", -1, 0, Warning, CodeUnknownKey}}},
		{"entry index and line in a later entry", roles(
			"# a comment", "- rolearn: "+adminRole, "  username: a", "", "- rolearn: "+nodeRole, "  username: eks:x"),
			[]want{{R, 1, 6, Error, CodeReservedUsername}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, ps, err := Parse(tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if doc == nil {
				t.Fatal("nil document")
			}
			if g := got(ps); !equalWants(g, tt.want) {
				t.Errorf("problems\n got %v\nwant %v\n%v", g, tt.want, ps)
			}
			wantErrors := false
			for _, w := range tt.want {
				wantErrors = wantErrors || w.sev == Error
			}
			if ps.HasErrors() != wantErrors {
				t.Errorf("HasErrors = %v, want %v", ps.HasErrors(), wantErrors)
			}
		})
	}
}

func TestParseMessages(t *testing.T) {
	tests := []struct {
		name string
		data map[string]string
		want string
	}{
		{"assumed role says which role", roles("- rolearn: arn:aws:sts::111122223333:assumed-role/Admin/alice", "  username: x"),
			"map the role itself: rolearn: arn:aws:iam::111122223333:role/Admin"},
		{"path says it still matches", roles("- rolearn: arn:aws:iam::111122223333:role/team/Admin", "  username: x"),
			"matches role Admin regardless of path; EKS's authenticator required the path to be removed"},
		{"sso path suggests the sso form", roles("- rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef", "  username: x"),
			"sso: {permissionSetName: Admin"},
		{"system: says why", roles("- rolearn: "+adminRole, "  username: system:kube-controller-manager"),
			"would grant that component's privileges"},
		{"leading zero says quote it", map[string]string{KeyMapAccounts: "- 012345678901"}, `quote it: "012345678901"`},
		{"key case hint", map[string]string{"MapRoles": ""}, `did you mean "mapRoles"?`},
		{"invalid arn says why", roles("- rolearn: arn:aws:iam::111122223333:group/devs", "  username: x"), "IAM groups cannot authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps, err := Parse(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) == 0 || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("first problem %v, want a message containing %q", ps, tt.want)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	doc, ps, err := Parse(map[string]string{
		KeyMapRoles: `- rOlEaRn: arn:aws:iam::555555555555:role/devel-worker
  UsErNaMe: system:node:{{EC2PrivateDNSName}}
  gRoUpS:
    - system:bootstrappers
    - 123
- SSO: {PermissionSetName: Admin, AccountId: "111122223333", Partition: aws-cn}
  username: admin
`,
		KeyMapUsers:    "- UserARN: arn:aws:iam::555555555555:user/admin\n  username: admin\n  groups: []\n",
		KeyMapAccounts: "- 555555555555\n- '012345678901'\n",
		"extra":        "kept: as is\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if ps.HasErrors() {
		t.Fatalf("problems: %v", ps)
	}
	r := doc.Roles[0]
	if r.RoleARN != "arn:aws:iam::555555555555:role/devel-worker" || r.Username != "system:node:{{EC2PrivateDNSName}}" ||
		len(r.Groups) != 2 || r.Groups[1] != "123" {
		t.Errorf("role 0 = %+v", r)
	}
	if s := doc.Roles[1].SSO; s == nil || *s != (SSOMapping{PermissionSetName: "Admin", AccountID: "111122223333", Partition: "aws-cn"}) {
		t.Errorf("role 1 sso = %+v", s)
	}
	if u := doc.Users[0]; u.UserARN != "arn:aws:iam::555555555555:user/admin" || u.Groups != nil {
		t.Errorf("user 0 = %+v (groups %#v)", u, u.Groups)
	}
	if len(doc.Accounts) != 2 || doc.Accounts[0] != "555555555555" || doc.Accounts[1] != "012345678901" {
		t.Errorf("accounts = %q", doc.Accounts)
	}
	if doc.Other["extra"] != "kept: as is\n" {
		t.Errorf("other = %q", doc.Other)
	}
}

func TestParseAliases(t *testing.T) {
	doc, ps, err := Parse(roles(
		"- rolearn: &arn "+adminRole, "  username: &name admin", "  groups: &groups [a, b]",
		"- rolearn: *arn", "  username: *name", "  groups: *groups"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Roles) != 2 || doc.Roles[1].RoleARN != adminRole || doc.Roles[1].Username != "admin" || len(doc.Roles[1].Groups) != 2 {
		t.Errorf("roles = %+v", doc.Roles)
	}
	if g := got(ps); !equalWants(g, []want{{KeyMapRoles, 1, 4, Warning, CodeDuplicate}}) {
		t.Errorf("problems = %v", ps)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data map[string]string
		key  string
		line int
		msg  string
	}{
		{"unclosed flow list", roles("- rolearn: a", "  username: [x"), KeyMapRoles, 2, "invalid YAML"},
		{"bad indentation", roles("- rolearn: a", "  username: x", " groups: y"), KeyMapRoles, 3, "invalid YAML"},
		{"mapping value in scalar", users("- userarn: a", "  username: x: y"), KeyMapUsers, 2, "invalid YAML"},
		{"first line", roles("- a: b: c"), KeyMapRoles, 1, "invalid YAML"},
		{"tab", roles("- rolearn: a", "  groups:", "  - a", "  - @b"), KeyMapRoles, 4, "invalid YAML"},
		{"mapping not list", roles("rolearn: a"), KeyMapRoles, 1, "want a YAML list"},
		{"scalar not list", map[string]string{KeyMapAccounts: "111122223333"}, KeyMapAccounts, 1, "want a YAML list"},
		{"entry not mapping", roles("- rolearn: a", "  username: b", "- just a string"), KeyMapRoles, 3, "entry 1: want a mapping"},
		{"groups not list", roles("- rolearn: a", "  username: b", "  groups: system:masters"), KeyMapRoles, 3, "groups must be a list"},
		{"username not string", users("- userarn: a", "  username: [a]"), KeyMapUsers, 2, "username must be a string"},
		{"group not string", roles("- rolearn: a", "  groups:", "    - [a]"), KeyMapRoles, 3, "groups must be a list of strings"},
		{"account not string", map[string]string{KeyMapAccounts: "- a\n- {b: c}\n"}, KeyMapAccounts, 2, "must be a string"},
		{"sso not mapping", roles("- sso: Admin", "  username: b"), KeyMapRoles, 1, "sso: want a mapping"},
		{"field twice in another case", roles("- rolearn: a", "  roleARN: b"), KeyMapRoles, 2, "given twice"},
		{"merge key", roles("- &e {rolearn: a, username: b}", "- <<: *e"), KeyMapRoles, 2, "merge keys"},
		{"two documents", roles("- a", "---", "- b"), KeyMapRoles, 2, "more than one YAML document"},
		{"non-scalar field name", roles("- [a]: b"), KeyMapRoles, 1, "field name"},
		{"unknown alias", roles("- rolearn: *nope"), KeyMapRoles, 0, "unknown anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _, err := Parse(tt.data)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if doc != nil {
				t.Error("document returned with a parse error")
			}
			if pe.Key != tt.key || pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got key %q line %d msg %q; want key %q line %d msg containing %q", pe.Key, pe.Line, pe.Msg, tt.key, tt.line, tt.msg)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("Error() = %q does not name the key", err)
			}
		})
	}
}

func TestValidateBuiltDocument(t *testing.T) {
	d := &Document{Roles: []RoleMapping{{RoleARN: adminRole, Username: "system:masters"}}}
	ps := Validate(d)
	if g := got(ps); !equalWants(g, []want{{KeyMapRoles, 0, 0, Error, CodeReservedUsername}}) {
		t.Errorf("problems = %v", ps)
	}
	if len(ps.Errors()) != 1 || len(ps.Warnings()) != 0 {
		t.Errorf("Errors/Warnings split wrong: %v", ps)
	}
	if s := ps[0].String(); !strings.HasPrefix(s, "mapRoles[0]: error reserved-username: ") {
		t.Errorf("String() = %q", s)
	}
}

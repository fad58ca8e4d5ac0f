package awsauth

import (
	"errors"
	"strings"
	"testing"
)

// Issue 10 item 8: a group template such as system:{{SessionName}} gave the
// session named "masters" the group system:masters. Templated groups are
// refused when they expand into a reserved namespace, as usernames are.
func TestExpandRefusesTemplatedGroupsInReservedNamespaces(t *testing.T) {
	v := Vars{AccountID: "111122223333", SessionName: "masters", AccessKeyID: "AKIAEXAMPLE"}
	for _, tmpl := range []string{
		"system:{{SessionName}}",
		"system:{{SessionNameRaw}}",
		"SYSTEM:{{SessionName}}",
		"eks:{{SessionName}}",
		"aws:{{SessionName}}",
	} {
		m := Match{UsernameTemplate: "alice", GroupTemplates: []string{"devs", tmpl}}
		u, gs, err := m.Expand(v)
		if !errors.Is(err, ErrReservedGroup) {
			t.Errorf("%s: got %q %q %v, want ErrReservedGroup", tmpl, u, gs, err)
		}
	}
	vs := Vars{AccountID: "111122223333", SessionName: "system"}
	m := Match{UsernameTemplate: "alice", GroupTemplates: []string{"{{SessionNameRaw}}:masters"}}
	if _, _, err := m.Expand(vs); !errors.Is(err, ErrReservedGroup) {
		t.Errorf("{{SessionNameRaw}}:masters with session system: err %v, want ErrReservedGroup", err)
	}
	// Literal system: groups are how aws-auth grants them on purpose.
	m = Match{UsernameTemplate: "system:node:{{SessionName}}", GroupTemplates: []string{"system:masters", "system:nodes", "team-{{SessionName}}"}}
	if _, gs, err := m.Expand(v); err != nil || strings.Join(gs, ",") != "system:masters,system:nodes,team-masters" {
		t.Errorf("literal reserved groups: got %q %v", gs, err)
	}
}

func TestTemplateCanProduceReserved(t *testing.T) {
	tests := []struct {
		tmpl     string
		group    bool // checked as a group, else as a username
		canBeBad bool
	}{
		{"system:{{SessionName}}", true, true},
		{"System:{{SessionNameRaw}}", true, true},
		{"{{SessionNameRaw}}:masters", true, true},
		{"sys{{SessionName}}:masters", true, true},
		{"e{{SessionName}}:x", true, true},
		{"{{EC2PrivateDNSName}}:x", true, true},
		{"{{AccessKeyID}}:x", true, true}, // access key IDs are letters too: IAM:...
		{"{{AccountID}}:x", true, false},  // digits cannot spell a prefix
		{"{{SessionName}}", true, false},  // no variable holds a colon
		{"team-{{SessionName}}", true, false},
		{"system:masters", true, false}, // literal: allowed on purpose
		{"x{{SessionName}}:y", true, false},
		{"system:node:{{EC2PrivateDNSName}}", false, false},
		{"system:node:{{SessionName}}", false, false},
		{"system:{{SessionName}}", false, true},
		{"system:node{{SessionName}}", false, true},
		{"System:node:{{SessionName}}", false, true},
		{"{{SessionNameRaw}}:node:{{SessionName}}", false, true},
		{"system:node:{{SessionName}}:x", false, true},
		{"{{SessionNameRaw}}:kube-scheduler", false, true},
		{"{{SessionName}}", false, false},
		{"user-{{AccountID}}-{{SessionName}}", false, false},
	}
	for _, tt := range tests {
		var why string
		if tt.group {
			why = reservedGroupTemplate(tt.tmpl)
		} else {
			why = reservedUsernameTemplate(tt.tmpl)
		}
		if (why != "") != tt.canBeBad {
			t.Errorf("%q (group %v): why %q, want reserved possible = %v", tt.tmpl, tt.group, why, tt.canBeBad)
		}
	}
}

// validate (and so "kubeiam aws-auth validate") flags the templates that can
// produce a reserved group or username, with the line of the template.
func TestParseFlagsTemplatesThatCanBeReserved(t *testing.T) {
	_, ps, err := Parse(map[string]string{KeyMapRoles: strings.Join([]string{
		"- rolearn: arn:aws:iam::111122223333:role/Dev",
		"  username: dev-{{SessionName}}",
		"  groups:",
		"    - devs",
		"    - system:{{SessionName}}",
		"- rolearn: arn:aws:iam::111122223333:role/Ops",
		"  username: '{{SessionNameRaw}}:admin'",
	}, "\n")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if len(ps) != 2 || ps[0].Code != CodeReservedTemplate || ps[0].Line != 5 || ps[0].Severity != Error ||
		ps[1].Code != CodeReservedTemplate || ps[1].Line != 7 || ps[1].Index != 1 || ps[1].Severity != Warning {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	if !strings.Contains(ps[0].Message, "system:masters") {
		t.Errorf("message should show an example expansion: %s", ps[0].Message)
	}
}

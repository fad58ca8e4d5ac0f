package awsauth

import (
	"errors"
	"slices"
	"testing"
)

func TestExpand(t *testing.T) {
	dns := func() (string, error) { return "ip-10-0-0-1.ec2.internal", nil }
	v := Vars{AccountID: "111122223333", SessionName: "alice@example.com", AccessKeyID: "ASIAEXAMPLE", EC2PrivateDNSName: dns}
	tests := []struct {
		name string
		tmpl string
		vars Vars
		want string
		err  error
	}{
		{"literal", "admin", v, "admin", nil},
		{"empty template", "", v, "", nil},
		{"AccountID", "acct-{{AccountID}}", v, "acct-111122223333", nil},
		{"SessionName replaces @", "user:{{SessionName}}", v, "user:alice-example.com", nil},
		{"SessionNameRaw keeps @", "{{SessionNameRaw}}", v, "alice@example.com", nil},
		{"AccessKeyID", "key-{{AccessKeyID}}", v, "key-ASIAEXAMPLE", nil},
		{"EC2PrivateDNSName", "system:node:{{EC2PrivateDNSName}}", v, "system:node:ip-10-0-0-1.ec2.internal", nil},
		{"several", "{{AccountID}}/{{SessionName}}/{{AccountID}}", v, "111122223333/alice-example.com/111122223333", nil},
		{"closing braces alone are literal", "a}}b", v, "a}}b", nil},
		{"values are not rescanned", "{{AccessKeyID}}", Vars{AccessKeyID: "{{AccountID}}"}, "{{AccountID}}", nil},
		{"SessionName without session", "{{SessionName}}", Vars{AccountID: "111122223333"}, "", ErrNoSessionName},
		{"SessionNameRaw without session", "x-{{SessionNameRaw}}", Vars{}, "", ErrNoSessionName},
		{"EC2 not enabled", "system:node:{{EC2PrivateDNSName}}", Vars{SessionName: "i-0123"}, "", ErrEC2DNSUnavailable},
		{"unknown variable", "{{Nope}}", v, "", ErrUnknownTemplate},
		{"case matters", "{{accountid}}", v, "", ErrUnknownTemplate},
		{"unclosed", "a{{AccountID", v, "", ErrUnknownTemplate},
		{"empty variable", "{{AccessKeyID}}", Vars{}, "", ErrEmptyVariable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Expand(tt.tmpl, tt.vars)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if s != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.tmpl, s, tt.want)
			}
		})
	}
}

func TestExpandEC2Messages(t *testing.T) {
	_, err := Expand("{{EC2PrivateDNSName}}", Vars{})
	if err == nil || err.Error() != "{{EC2PrivateDNSName}} needs EC2 DescribeInstances, which is not enabled" {
		t.Errorf("err = %v", err)
	}
	boom := errors.New("throttled")
	_, err = Expand("{{EC2PrivateDNSName}}", Vars{EC2PrivateDNSName: func() (string, error) { return "", boom }})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want it to wrap the resolver's error", err)
	}
}

func TestEC2ResolverIsLazy(t *testing.T) {
	calls := 0
	v := Vars{AccountID: "111122223333", SessionName: "i-0123", EC2PrivateDNSName: func() (string, error) {
		calls++
		return "ip-10-0-0-1.ec2.internal", nil
	}}
	if _, err := Expand("admin-{{AccountID}}", v); err != nil || calls != 0 {
		t.Fatalf("err %v, resolver called %d times for a template that does not use it", err, calls)
	}
	m := Match{UsernameTemplate: "system:node:{{EC2PrivateDNSName}}", GroupTemplates: []string{"g-{{EC2PrivateDNSName}}", "system:nodes"}}
	u, gs, err := m.Expand(v)
	if err != nil {
		t.Fatal(err)
	}
	if u != "system:node:ip-10-0-0-1.ec2.internal" || !slices.Equal(gs, []string{"g-ip-10-0-0-1.ec2.internal", "system:nodes"}) {
		t.Errorf("got %q %q", u, gs)
	}
	if calls != 1 {
		t.Errorf("resolver called %d times, want once per match", calls)
	}
}

func TestMatchExpand(t *testing.T) {
	v := Vars{AccountID: "111122223333", SessionName: "system", AccessKeyID: "AKIA"}
	tests := []struct {
		name   string
		m      Match
		vars   Vars
		user   string
		groups []string
		err    error
	}{
		{"plain", Match{UsernameTemplate: "admin", GroupTemplates: []string{"system:masters"}}, v, "admin", []string{"system:masters"}, nil},
		{"no groups", Match{UsernameTemplate: "arn:aws:iam::111122223333:user/alice"}, v, "arn:aws:iam::111122223333:user/alice", []string{}, nil},
		{"empty username", Match{UsernameTemplate: ""}, v, "", nil, ErrEmptyUsername},
		{"expands into reserved", Match{UsernameTemplate: "{{SessionNameRaw}}:kube-scheduler"}, v, "", nil, ErrReservedUsername},
		{"empty group", Match{UsernameTemplate: "a", GroupTemplates: []string{""}}, v, "", nil, ErrEmptyGroup},
		{"session on user", Match{UsernameTemplate: "{{SessionName}}"}, Vars{AccountID: "111122223333"}, "", nil, ErrNoSessionName},
		{"group template error", Match{UsernameTemplate: "a", GroupTemplates: []string{"{{EC2PrivateDNSName}}"}}, v, "", nil, ErrEC2DNSUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, gs, err := tt.m.Expand(tt.vars)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if u != tt.user || !slices.Equal(gs, tt.groups) {
				t.Errorf("got %q %q, want %q %q", u, gs, tt.user, tt.groups)
			}
		})
	}
}

func TestUsesTemplate(t *testing.T) {
	if !UsesTemplate("system:node:{{EC2PrivateDNSName}}", VarEC2PrivateDNSName) {
		t.Error("want true")
	}
	if UsesTemplate("{{SessionNameRaw}}", VarSessionName) {
		t.Error("SessionNameRaw is not SessionName")
	}
	vs := TemplateVariables()
	vs[0] = "changed"
	if TemplateVariables()[0] != VarAccountID || len(vs) != 5 {
		t.Error("TemplateVariables must return a fresh list of the five variables")
	}
}

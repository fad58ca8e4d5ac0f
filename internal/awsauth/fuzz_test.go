package awsauth

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(indexFixture, "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n", "- 111122223333\n", "x")
	f.Add("- rOlEaRn: a\n  gRoUpS: [a, ~, 1]\n  sso: {accountid: 012345678901}\n", "- &a {userarn: b}\n- *a\n", "- 012345678901\n- '1'\n", "")
	f.Add("&a [*a]", "- &x [*x]\n", "- <<: {}\n", "---\n")
	f.Add("- rolearn: a\n  username: [x\n", "\t- x", "- {a: b}", "\xff")
	f.Fuzz(func(t *testing.T, r, u, a, other string) {
		data := map[string]string{KeyMapRoles: r, KeyMapUsers: u, KeyMapAccounts: a, "other": other}
		doc, ps, err := Parse(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || doc != nil || ps != nil {
				t.Fatalf("Parse error %v is not a *ParseError alone", err)
			}
			return
		}
		for _, p := range ps {
			if p.Severity != Error && p.Severity != Warning || p.Code == "" || p.Message == "" {
				t.Fatalf("malformed problem %+v", p)
			}
		}
		ix := NewIndex(doc)
		for _, caller := range []string{"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/s", "arn:aws:iam::111122223333:user/alice"} {
			if m, ok := ix.Lookup(mustIdentity(t, caller)); ok {
				_, _, _ = m.Expand(Vars{AccountID: "111122223333", SessionName: "s"})
			}
			_ = ix.NearMisses(mustIdentity(t, caller))
		}
		out, err := doc.Render()
		if err != nil {
			t.Fatalf("Render of a parsed document: %v", err)
		}
		if out["other"] != other {
			t.Fatalf("unknown key not preserved: %q → %q", other, out["other"])
		}
		again, ps2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Render(doc)): %v\n%q", err, out)
		}
		if !reflect.DeepEqual(doc, again) {
			t.Fatalf("round trip changed the document\n before %#v\n after  %#v\n%q", doc, again, out)
		}
		// A leading-zero account is an error before rendering (it was an
		// unquoted number) and not after (Render quotes it); nothing else
		// may change severity.
		if ps.HasErrors() != ps2.HasErrors() && !hasCode(ps, CodeAccountNumber) {
			t.Fatalf("HasErrors %v → %v\n%v\n%v", ps.HasErrors(), ps2.HasErrors(), ps, ps2)
		}
	})
}

func hasCode(ps Problems, c Code) bool {
	for _, p := range ps {
		if p.Code == c {
			return true
		}
	}
	return false
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "admin", "system:node:{{EC2PrivateDNSName}}", "{{SessionName}}{{SessionNameRaw}}", "{{", "}}{{", "{{{{AccountID}}}}", "{{AccessKeyID}}"} {
		f.Add(s, "alice@example.com", "ASIA")
	}
	f.Fuzz(func(t *testing.T, tmpl, session, key string) {
		calls := 0
		v := Vars{AccountID: "111122223333", SessionName: session, AccessKeyID: key, EC2PrivateDNSName: func() (string, error) {
			calls++
			return "ip-10-0-0-1.ec2.internal", nil
		}}
		out, err := Expand(tmpl, v)
		if checkErr := checkTemplate(tmpl); checkErr != nil && err == nil {
			t.Fatalf("Expand accepted %q that validation refuses: %v", tmpl, checkErr)
		}
		if err == nil && !strings.Contains(tmpl, "{{") && out != tmpl {
			t.Fatalf("literal %q expanded to %q", tmpl, out)
		}
		if calls > 0 && !UsesTemplate(tmpl, VarEC2PrivateDNSName) {
			t.Fatalf("resolver called for %q", tmpl)
		}
	})
}

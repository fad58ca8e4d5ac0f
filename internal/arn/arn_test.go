package arn

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		in        string
		kind      Kind
		path      string
		name      string
		session   string
		canonical string
	}{
		{"arn:aws:iam::111122223333:user/alice", KindUser, "/", "alice", "", "arn:aws:iam::111122223333:user/alice"},
		{"arn:aws:iam::111122223333:user/division/team/alice", KindUser, "/division/team/", "alice", "", "arn:aws:iam::111122223333:user/alice"},
		{"arn:aws:iam::111122223333:role/Admin", KindRole, "/", "Admin", "", "arn:aws:iam::111122223333:role/Admin"},
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef", KindRole, "/aws-reserved/sso.amazonaws.com/eu-west-1/", "AWSReservedSSO_Admin_0123456789abcdef", "", "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef"},
		{"arn:aws:iam::111122223333:root", KindRoot, "", "", "", "arn:aws:iam::111122223333:root"},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", KindAssumedRole, "/", "Admin", "alice@example.com", "arn:aws:iam::111122223333:role/Admin"},
		{"arn:aws:sts::111122223333:federated-user/bob", KindFederatedUser, "/", "bob", "", "arn:aws:sts::111122223333:federated-user/bob"},
		{"arn:aws-cn:sts::111122223333:assumed-role/Node/i-0123", KindAssumedRole, "/", "Node", "i-0123", "arn:aws-cn:iam::111122223333:role/Node"},
		{"arn:aws-us-gov:iam::111122223333:user/x", KindUser, "/", "x", "", "arn:aws-us-gov:iam::111122223333:user/x"},
		{"arn:aws-iso:iam::111122223333:role/r", KindRole, "/", "r", "", "arn:aws-iso:iam::111122223333:role/r"},
		{"arn:aws-iso-b:iam::111122223333:role/r", KindRole, "/", "r", "", "arn:aws-iso-b:iam::111122223333:role/r"},
		{"arn:aws-iso-e:iam::111122223333:role/r", KindRole, "/", "r", "", "arn:aws-iso-e:iam::111122223333:role/r"},
		{"arn:aws-iso-f:iam::111122223333:role/r", KindRole, "/", "r", "", "arn:aws-iso-f:iam::111122223333:role/r"},
		{"arn:aws-eusc:iam::111122223333:role/r", KindRole, "/", "r", "", "arn:aws-eusc:iam::111122223333:role/r"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Kind != tt.kind || p.Path != tt.path || p.Name != tt.name || p.Session != tt.session {
				t.Errorf("got kind=%v path=%q name=%q session=%q", p.Kind, p.Path, p.Name, p.Session)
			}
			if got := p.String(); got != tt.in {
				t.Errorf("String() = %q, want the input back", got)
			}
			if got := p.Canonical(); got != tt.canonical {
				t.Errorf("Canonical() = %q, want %q", got, tt.canonical)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrMalformed},
		{"not-an-arn", ErrMalformed},
		{"arn:aws:iam::111122223333", ErrMalformed},
		{"arn:aws:iam:us-east-1:111122223333:user/a", ErrMalformed},
		{"arn:aws:iam::111122223333:", ErrMalformed},
		{"arn:aws:iam::111122223333:user/", ErrMalformed},
		{"arn:aws:iam::111122223333:user/a b", ErrMalformed},
		{"arn:aws:iam::111122223333:user/a//b", ErrMalformed},
		{"arn:aws:iam::111122223333:user/" + strings.Repeat("a", 65), ErrMalformed},
		{"arn:aws:iam::111122223333:user/al!ce", ErrMalformed},
		{"arn:aws:sts::111122223333:assumed-role/Admin", ErrMalformed},
		{"arn:aws:sts::111122223333:assumed-role/Admin/s/extra", ErrMalformed},
		{"arn:aws:sts::111122223333:assumed-role//s", ErrMalformed},
		{"ARN:aws:iam::111122223333:user/a", ErrMalformed},
		{"arn:aws-moon:iam::111122223333:user/a", ErrUnknownPartition},
		{"arn:AWS:iam::111122223333:user/a", ErrUnknownPartition},
		{"arn:aws:s3:::bucket", ErrUnsupportedService},
		{"arn:aws:eks:us-east-1:111122223333:cluster/x", ErrUnsupportedService},
		{"arn:aws:iam::11112222333:user/a", ErrInvalidAccount},
		{"arn:aws:iam::11112222333x:user/a", ErrInvalidAccount},
		{"arn:aws:iam::111122223333:group/devs", ErrNotPrincipal},
		{"arn:aws:iam::111122223333:policy/p", ErrNotPrincipal},
		{"arn:aws:iam::111122223333:instance-profile/p", ErrNotPrincipal},
		{"arn:aws:sts::111122223333:session/x", ErrNotPrincipal},
		{"arn:aws:sts::111122223333:root", ErrNotPrincipal},
		{"arn:aws:iam::111122223333:rootx", ErrNotPrincipal},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse(%q) error = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestKeyMatchesSameRole(t *testing.T) {
	same := []string{
		"arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123",
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123",
		"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com",
		"arn:aws:iam::111122223333:role/awsreservedsso_admin_0123",
	}
	want, err := Key(same[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range same[1:] {
		if got, err := Key(s); err != nil || got != want {
			t.Errorf("Key(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	different := []string{
		"arn:aws:iam::444455556666:role/AWSReservedSSO_Admin_0123",
		"arn:aws-cn:iam::111122223333:role/AWSReservedSSO_Admin_0123",
		"arn:aws:iam::111122223333:user/AWSReservedSSO_Admin_0123",
	}
	for _, s := range different {
		if got, _ := Key(s); got == want {
			t.Errorf("Key(%q) = %q, must differ from %q", s, got, want)
		}
	}
}

func TestPredicates(t *testing.T) {
	sso, _ := Parse("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_1")
	if !sso.IsSSORole() || !sso.HasPath() || sso.IsServiceLinkedRole() {
		t.Errorf("sso role predicates wrong: %+v", sso)
	}
	slr, _ := Parse("arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS")
	if !slr.IsServiceLinkedRole() || slr.IsSSORole() {
		t.Errorf("service-linked role predicates wrong: %+v", slr)
	}
	plain, _ := Parse("arn:aws:iam::111122223333:role/Admin")
	if plain.HasPath() || plain.IsSSORole() || !plain.IsIAM() {
		t.Errorf("plain role predicates wrong: %+v", plain)
	}
	sess, _ := Parse("arn:aws:sts::111122223333:assumed-role/Admin/s")
	if sess.IsIAM() {
		t.Errorf("session must not be IAM")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"arn:aws:iam::111122223333:user/alice",
		"arn:aws:iam::111122223333:role/a/b/c",
		"arn:aws:sts::111122223333:assumed-role/r/s",
		"arn:aws:sts::111122223333:federated-user/u",
		"arn:aws:iam::111122223333:root",
		"arn:aws:iam::111122223333:group/g",
		"arn::::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		// A parsed ARN prints back to what was parsed, and its canonical
		// form parses and is its own canonical form.
		if p.String() != s {
			t.Fatalf("String() = %q, input %q", p.String(), s)
		}
		c, err := Parse(p.Canonical())
		if err != nil {
			t.Fatalf("canonical %q does not parse: %v", p.Canonical(), err)
		}
		if c.Canonical() != p.Canonical() || c.Key() != p.Key() {
			t.Fatalf("canonical form not stable for %q", s)
		}
	})
}

// TestSplitARNIsSplitN: splitARN must split exactly as strings.SplitN(s,
// ":", 6), which Parse used before.
func TestSplitARNIsSplitN(t *testing.T) {
	for _, s := range []string{"", ":", "arn", "arn:aws", "arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/a:b:c",
		"a:b:c:d:e", "a:b:c:d:e:", ":::::", "::::::", "arn:aws:sts::111122223333:assumed-role/r/s"} {
		var parts [6]string
		n := splitARN(s, &parts)
		want := strings.SplitN(s, ":", 6)
		if n != len(want) || !slices.Equal(parts[:n], want) {
			t.Errorf("splitARN(%q) = %q, want %q", s, parts[:n], want)
		}
	}
}

// A refused character is named as the user wrote it: 'é', not the first
// byte of its UTF-8 encoding, and a name of a few non-ASCII characters is
// refused for them, not as too long by its byte count.
func TestParseRejectsNamingTheCharacter(t *testing.T) {
	tests := []struct{ in, want string }{
		{"arn:aws:iam::111122223333:role/Dév", `character 'é' not allowed in an IAM name`},
		{"arn:aws:iam::111122223333:user/" + strings.Repeat("é", 40), `character 'é' not allowed in an IAM name`},
		{"arn:aws:iam::111122223333:role/D\xffv", `character '\xff' not allowed in an IAM name`},
		{"arn:aws:iam::111122223333:role/pâth/Dev", `character 'â' not allowed in an IAM path`},
		{"arn:aws:sts::111122223333:assumed-role/Dev/sé", `character 'é' not allowed in an IAM name`},
		{"arn:aws:iam::111122223333:user/al!ce", `character '!' not allowed in an IAM name`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %v, want ErrMalformed saying %s", tt.in, err, tt.want)
			}
		})
	}
}

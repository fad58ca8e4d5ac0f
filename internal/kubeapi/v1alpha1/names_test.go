package v1alpha1

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestAccessEntryNameIsOnePerPrincipal(t *testing.T) {
	base, err := AccessEntryName("arn:aws:iam::111122223333:role/Dev")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "role-111122223333-dev-") {
		t.Errorf("name %q lacks its readable prefix", base)
	}
	// Every spelling of the same principal: a path, another case of the
	// name, an assumed-role session of the role.
	for _, same := range []string{
		"arn:aws:iam::111122223333:role/team/a/Dev",
		"arn:aws:iam::111122223333:role/DEV",
		"arn:aws:sts::111122223333:assumed-role/Dev/alice",
	} {
		got, err := AccessEntryName(same)
		if err != nil || got != base {
			t.Errorf("AccessEntryName(%s) = %q, %v; want %q", same, got, err, base)
		}
	}
	for _, other := range []string{
		"arn:aws:iam::111122223333:user/Dev",
		"arn:aws:iam::444455556666:role/Dev",
		"arn:aws-cn:iam::111122223333:role/Dev",
		"arn:aws:iam::111122223333:role/Dev2",
	} {
		if got, _ := AccessEntryName(other); got == base {
			t.Errorf("AccessEntryName(%s) = %q, the name of another principal", other, got)
		}
	}
}

func TestAccessEntryNameIsAValidObjectName(t *testing.T) {
	for _, p := range []string{
		"arn:aws:iam::111122223333:role/a+b=c,d.e@f_g-h",
		"arn:aws:iam::111122223333:user/" + strings.Repeat("Very.Long_Name", 4),
		"arn:aws:iam::111122223333:role/___",
		"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
	} {
		name, err := AccessEntryName(p)
		if err != nil {
			t.Fatalf("AccessEntryName(%s): %v", p, err)
		}
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Errorf("AccessEntryName(%s) = %q: %v", p, name, errs)
		}
	}
}

func TestAccessEntryNameRefusesNonIAMPrincipals(t *testing.T) {
	for _, p := range []string{"", "not-an-arn", "arn:aws:iam::111122223333:root", "arn:aws:sts::111122223333:federated-user/bob"} {
		if name, err := AccessEntryName(p); err == nil {
			t.Errorf("AccessEntryName(%q) = %q, want an error", p, name)
		}
	}
}

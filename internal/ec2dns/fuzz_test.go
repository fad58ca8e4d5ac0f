package ec2dns

import (
	"strings"
	"testing"
)

func FuzzValidInstanceID(f *testing.F) {
	for _, s := range []string{"i-0123456789abcdef0", "i-01234567", "i-", "I-0123456789ABCDEF0", "i-0123456789abcdef0\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidInstanceID(s) {
			return
		}
		if !strings.HasPrefix(s, "i-") || (len(s) != 10 && len(s) != 19) || strings.Trim(s[2:], "0123456789abcdef") != "" {
			t.Fatalf("ValidInstanceID(%q) = true", s)
		}
	})
}

func FuzzValidDNSName(f *testing.F) {
	for _, s := range []string{"ip-10-0-0-1.ec2.internal", "a..b", "-a", "x:admin", "Ip-10.ec2.internal"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validDNSName(s) {
			return
		}
		if len(s) > 253 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") != "" ||
			strings.Contains(s, "..") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
			t.Fatalf("validDNSName(%q) = true", s)
		}
	})
}

func FuzzNamedInstanceIDs(f *testing.F) {
	f.Add("The instance IDs 'i-0aaaaaaaaaaaaaaa1, i-0bbbbbbbbbbbbbbb2' do not exist", "i-0aaaaaaaaaaaaaaa1")
	f.Add("The instance ID 'i-01234567' does not exist", "i-01234567")
	f.Fuzz(func(t *testing.T, msg, id string) {
		want := []string{id, "i-0aaaaaaaaaaaaaaa1"}
		for _, got := range namedInstanceIDs(msg, want) {
			if got != id && got != "i-0aaaaaaaaaaaaaaa1" {
				t.Fatalf("namedInstanceIDs(%q) named %q, which was not asked about", msg, got)
			}
			if !strings.Contains(msg, got) {
				t.Fatalf("namedInstanceIDs(%q) named %q, which the message does not", msg, got)
			}
		}
	})
}

func TestNamedInstanceIDs(t *testing.T) {
	ids := []string{"i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2", "i-0ccccccccccccccc3"}
	tests := []struct {
		msg  string
		want []string
	}{
		{"The instance ID 'i-0bbbbbbbbbbbbbbb2' does not exist", []string{"i-0bbbbbbbbbbbbbbb2"}},
		{"The instance IDs 'i-0aaaaaaaaaaaaaaa1, i-0ccccccccccccccc3' do not exist", []string{"i-0aaaaaaaaaaaaaaa1", "i-0ccccccccccccccc3"}},
		{"The instance ID 'i-0ddddddddddddddd4' does not exist", nil},
		{"Something else went wrong", nil},
	}
	for _, tt := range tests {
		got := namedInstanceIDs(tt.msg, ids)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("namedInstanceIDs(%q) = %v, want %v", tt.msg, got, tt.want)
		}
	}
}

package authz

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateScope(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct {
		name  string
		scope Scope
		ok    bool
	}{
		{"cluster", Scope{Type: ScopeCluster}, true},
		{"cluster with empty list", Scope{Type: ScopeCluster, Namespaces: []string{}}, true},
		{"cluster with namespaces", Scope{Type: ScopeCluster, Namespaces: []string{"dev"}}, false},
		{"namespace", Scope{Type: ScopeNamespace, Namespaces: []string{"dev"}}, true},
		{"several namespaces and patterns", Scope{Type: ScopeNamespace, Namespaces: []string{"dev", "dev-*", "*-staging", "*", "a*b*c"}}, true},
		{"63 characters", Scope{Type: ScopeNamespace, Namespaces: []string{long}}, true},
		{"63 characters and a star", Scope{Type: ScopeNamespace, Namespaces: []string{long + "*"}}, true},
		{"64 characters", Scope{Type: ScopeNamespace, Namespaces: []string{long + "a"}}, false},
		{"namespace without namespaces", Scope{Type: ScopeNamespace}, false},
		{"empty namespace", Scope{Type: ScopeNamespace, Namespaces: []string{"dev", ""}}, false},
		{"upper case", Scope{Type: ScopeNamespace, Namespaces: []string{"Dev"}}, false},
		{"leading dash", Scope{Type: ScopeNamespace, Namespaces: []string{"-dev"}}, false},
		{"trailing dash", Scope{Type: ScopeNamespace, Namespaces: []string{"dev-"}}, false},
		{"dash before a leading star is fine", Scope{Type: ScopeNamespace, Namespaces: []string{"*-dev"}}, true},
		{"dot", Scope{Type: ScopeNamespace, Namespaces: []string{"dev.a"}}, false},
		{"question mark is no wildcard", Scope{Type: ScopeNamespace, Namespaces: []string{"dev-?"}}, false},
		{"space", Scope{Type: ScopeNamespace, Namespaces: []string{"dev a"}}, false},
		{"unknown type", Scope{Type: "account"}, false},
		{"no type", Scope{}, false},
		{"type is case-sensitive", Scope{Type: "Cluster"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateScope(tt.scope)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateScope(%+v) = %v, want ok=%v", tt.scope, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidScope) {
				t.Errorf("error %v does not wrap ErrInvalidScope", err)
			}
		})
	}
}

func TestMatchNamespace(t *testing.T) {
	tests := []struct {
		pattern, ns string
		want        bool
	}{
		{"dev", "dev", true},
		{"dev", "dev-a", false},
		{"dev", "de", false},
		{"dev-*", "dev-a", true},
		{"dev-*", "dev-", true},
		{"dev-*", "dev", false},
		{"dev-*", "prod", false},
		{"dev-*", "xdev-a", false},
		{"*-staging", "web-staging", true},
		{"*-staging", "web-staging-2", false},
		{"*", "anything", true},
		{"*", "", true},
		{"", "", true},
		{"", "dev", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"a*b", "abab", true},
		{"a*ab", "aab", true},
		{"**", "x", true},
		{"*a", "bbb", false},
	}
	for _, tt := range tests {
		if got := MatchNamespace(tt.pattern, tt.ns); got != tt.want {
			t.Errorf("MatchNamespace(%q, %q) = %v, want %v", tt.pattern, tt.ns, got, tt.want)
		}
	}
}

func FuzzMatchNamespace(f *testing.F) {
	for _, s := range [][2]string{
		{"dev-*", "dev-a"}, {"*", ""}, {"a*b*c", "axbxc"}, {"dev", "dev"},
		{"*-staging", "x-staging"}, {"**a", "aaa"}, {"", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, ns string) {
		got := MatchNamespace(pattern, ns)
		if !MatchNamespace("*", ns) {
			t.Fatalf("* does not match %q", ns)
		}
		if !strings.Contains(pattern, "*") && got != (pattern == ns) {
			t.Fatalf("MatchNamespace(%q, %q) = %v without a wildcard", pattern, ns, got)
		}
		// Replacing every '*' by the same text yields a matching name.
		if !MatchNamespace(pattern, strings.ReplaceAll(pattern, "*", "")) ||
			!MatchNamespace(pattern, strings.ReplaceAll(pattern, "*", ns)) {
			t.Fatalf("%q does not match its own expansions", pattern)
		}
		// Agree with a regular expression where '*' is ".*". Patterns are
		// split at an ASCII '*', so on valid UTF-8 byte and rune matching agree.
		if utf8.ValidString(pattern) && utf8.ValidString(ns) {
			var b strings.Builder
			b.WriteString(`^(?s:`)
			for i, part := range strings.Split(pattern, "*") {
				if i > 0 {
					b.WriteString(".*")
				}
				b.WriteString(regexp.QuoteMeta(part))
			}
			b.WriteString(`)$`)
			if want := regexp.MustCompile(b.String()).MatchString(ns); got != want {
				t.Fatalf("MatchNamespace(%q, %q) = %v, regexp says %v", pattern, ns, got, want)
			}
		}
	})
}

// A valid pattern without '*' is a namespace name, and any valid pattern
// matches some valid namespace name.
func FuzzValidateScope(f *testing.F) {
	for _, s := range []string{"dev", "dev-*", "*", "a*-b", "-x", "x-", "Dev", strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ValidateScope(Scope{Type: ScopeNamespace, Namespaces: []string{p}}) != nil {
			return
		}
		name := strings.ReplaceAll(p, "*", "a")
		if len(name) > maxNamespaceLen {
			name = strings.ReplaceAll(p, "*", "")
			if name == "" || name[0] == '-' || name[len(name)-1] == '-' {
				return // e.g. 63 letters then "*-*": fine, but not worth a generator here
			}
		}
		if !MatchNamespace(p, name) || !isDNSLabel(name) {
			t.Fatalf("valid pattern %q: expansion %q is not a matching DNS-1123 label", p, name)
		}
	})
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func isDNSLabel(s string) bool { return len(s) <= maxNamespaceLen && dnsLabel.MatchString(s) }

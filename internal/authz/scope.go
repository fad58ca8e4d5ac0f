package authz

import (
	"errors"
	"fmt"
	"strings"
)

// ScopeType says where a policy association applies.
type ScopeType string

// The scope types of the EKS access-scope API.
const (
	// ScopeCluster applies the policy in every namespace, to cluster-scoped
	// resources and to non-resource URLs, like a ClusterRoleBinding.
	ScopeCluster ScopeType = "cluster"
	// ScopeNamespace applies the policy in the listed namespaces only, like
	// a RoleBinding in each of them.
	ScopeNamespace ScopeType = "namespace"
)

// Scope is the access scope of one policy association.
type Scope struct {
	// Type is cluster or namespace.
	Type ScopeType
	// Namespaces are namespace names or patterns in which '*' matches any
	// run of characters ("dev-*"). Only namespace scopes have them.
	Namespaces []string
}

// String renders the scope for reasons and logs: `cluster` or
// `namespace [dev dev-*]`.
func (s Scope) String() string {
	if s.Type == ScopeNamespace {
		return "namespace [" + strings.Join(s.Namespaces, " ") + "]"
	}
	return string(s.Type)
}

// ErrInvalidScope is returned, wrapped with the details, by ValidateScope.
var ErrInvalidScope = errors.New("invalid access scope")

// maxNamespaceLen is the longest namespace name: a DNS-1123 label.
const maxNamespaceLen = 63

// ValidateScope checks an access scope: a cluster scope lists no namespaces;
// a namespace scope lists at least one, each a DNS-1123 label (lowercase
// letters, digits and '-', starting and ending with a letter or digit, at
// most 63 characters) in which '*' may stand for any run of characters.
func ValidateScope(s Scope) error {
	switch s.Type {
	case ScopeCluster:
		if len(s.Namespaces) > 0 {
			return fmt.Errorf("%w: a cluster scope takes no namespaces, got %d", ErrInvalidScope, len(s.Namespaces))
		}
		return nil
	case ScopeNamespace:
		if len(s.Namespaces) == 0 {
			return fmt.Errorf("%w: a namespace scope needs at least one namespace", ErrInvalidScope)
		}
		for _, ns := range s.Namespaces {
			if err := validNamespacePattern(ns); err != nil {
				return fmt.Errorf("%w: namespace %q: %w", ErrInvalidScope, ns, err)
			}
		}
		return nil
	}
	return fmt.Errorf("%w: unknown scope type %q", ErrInvalidScope, s.Type)
}

// validNamespacePattern accepts a DNS-1123 label in which '*' may stand for
// any run of characters. It refuses a pattern that can match no valid
// namespace, such as "-dev*" or "dev-" or a pattern whose fixed characters
// alone exceed 63: accepting it would make a scope that silently grants
// nothing.
func validNamespacePattern(p string) error {
	if p == "" {
		return errors.New("empty")
	}
	fixed := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*':
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(p)-1 {
				return errors.New("must start and end with a lowercase letter, digit or '*'")
			}
		default:
			return fmt.Errorf("character %q not allowed: use lowercase letters, digits, '-' and '*'", c)
		}
		fixed++
	}
	if fixed > maxNamespaceLen {
		return fmt.Errorf("longer than %d characters", maxNamespaceLen)
	}
	return nil
}

// MatchNamespace reports whether namespace ns matches pattern, in which '*'
// matches any run of characters, the empty one included; every other byte
// matches only itself. It is a pure string match: it neither validates the
// pattern nor refuses an empty ns ("*" matches "").
func MatchNamespace(pattern, ns string) bool {
	// Iterative glob matching with one backtrack point: on a mismatch after a
	// '*', let that '*' swallow one more byte and retry. Linear in practice
	// and never worse than len(pattern)*len(ns).
	p, n := 0, 0
	star, starN := -1, 0
	for n < len(ns) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, starN = p, n
			p++
		case p < len(pattern) && pattern[p] == ns[n]:
			p++
			n++
		case star >= 0:
			starN++
			p, n = star+1, starN
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// scopeCovers reports whether a grant's scope covers the request and, for a
// namespace scope, which pattern matched. s must be valid (ValidateScope).
// A namespace scope never covers cluster-scoped resources, requests across
// all namespaces (list pods with no namespace) or non-resource URLs: there
// is no namespace to match.
func scopeCovers(s Scope, a *Attributes) (pattern string, ok bool) {
	if s.Type == ScopeCluster {
		return "", true
	}
	if !a.ResourceRequest || a.Namespace == "" {
		return "", false
	}
	for _, p := range s.Namespaces {
		if MatchNamespace(p, a.Namespace) {
			return p, true
		}
	}
	return "", false
}

package review

import (
	"regexp"
	"strings"

	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

// A username or group with templates ({{SessionName}}, ...) is a pattern:
// which name a caller gets depends on its session. It can match an RBAC
// subject only for some sessions, so such a path is marked Partial.

// isTemplate reports whether s holds a {{Variable}}.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// templatePattern turns a template into a regexp each variable of which
// matches any non-empty text.
func templatePattern(t string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for {
		i := strings.Index(t, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(t[i:], "}}")
		if j < 0 {
			break
		}
		b.WriteString(regexp.QuoteMeta(t[:i]))
		b.WriteString(".+")
		t = t[i+j+2:]
	}
	b.WriteString(regexp.QuoteMeta(t))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// subjectNames returns the names RBAC bindings give subjects of a kind.
func subjectNames(r *rbaceval.RBAC, kind string) []string {
	if r == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(k, n string) {
		if k == kind && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, b := range r.ClusterRoleBindings {
		for _, s := range b.Subjects {
			add(s.Kind, s.Name)
		}
	}
	for _, b := range r.RoleBindings {
		for _, s := range b.Subjects {
			add(s.Kind, s.Name)
		}
	}
	return out
}

// identities are the concrete (username, groups) a principal may have,
// for RBAC evaluation: the literal ones, and for templates each subject
// name a template can become, marked partial.
type identities struct {
	users   []string
	groups  []string
	partial map[string]bool // "User NAME" / "Group NAME" reachable only for some sessions
}

func identitiesOf(p Principal, r *rbaceval.RBAC) identities {
	id := identities{partial: map[string]bool{}}
	switch {
	case p.Kind == KindAccount:
		// The username is the caller's canonical ARN in that account.
		re := regexp.MustCompile(`^arn:[a-z-]+:iam::` + regexp.QuoteMeta(p.Principal) + `:.+$`)
		id.addMatching(re, subjectNames(r, "User"), "User", true)
	case isTemplate(p.Username):
		id.addMatching(templatePattern(p.Username), subjectNames(r, "User"), "User", true)
	default:
		id.users = append(id.users, p.Username)
	}
	for _, g := range p.Groups {
		if isTemplate(g) {
			id.addMatching(templatePattern(g), subjectNames(r, "Group"), "Group", false)
			continue
		}
		id.groups = append(id.groups, g)
	}
	id.groups = append(id.groups, rbaceval.AuthenticatedGroup)
	return id
}

func (id *identities) addMatching(re *regexp.Regexp, names []string, kind string, user bool) {
	for _, n := range names {
		if !re.MatchString(n) {
			continue
		}
		id.partial[kind+" "+n] = true
		if user {
			id.users = append(id.users, n)
		} else {
			id.groups = append(id.groups, n)
		}
	}
}

package awsauth

import (
	"errors"
	"fmt"
	"strings"
)

// ErrReservedGroup: a templated group expands into a reserved namespace
// (system:{{SessionName}} for the session "masters" is system:masters).
var ErrReservedGroup = errors.New("group template expands into a reserved namespace")

// reservedPrefixes are the namespaces of Kubernetes components (system:) and
// of AWS and EKS, which EKS refuses for usernames and groups it is given.
// All are letters and a colon, and no template variable can produce a
// colon, which is what makes reservedPrefixPossible exact.
var reservedPrefixes = []string{"system:", "aws:", "amazon:", "eks:", "iam:"}

// reservedGroup returns why an expanded group is refused, or "". Only
// groups written with a template are checked: a literal system:masters in
// aws-auth is how administrators grant it on purpose, while a template lets
// the caller (who chooses the session name) pick the group.
func reservedGroup(tmpl, group string) string {
	if !strings.Contains(tmpl, "{{") {
		return ""
	}
	lower := strings.ToLower(group)
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(lower, p) {
			return fmt.Sprintf("the %s namespace is reserved and a template must not reach it, because the caller chooses the session name", p)
		}
	}
	return ""
}

// reservedGroupTemplate returns why a group template is refused because
// some caller could expand it into a reserved namespace, or "".
func reservedGroupTemplate(tmpl string) string {
	if !strings.Contains(tmpl, "{{") {
		return ""
	}
	for _, p := range reservedPrefixes {
		if reservedPrefixPossible(tmpl, p) {
			return fmt.Sprintf("a caller's session name or other variable can make it a %s group (%smasters, say); write reserved groups out without templates", p, p)
		}
	}
	return ""
}

// reservedUsernameTemplate returns why a username template is refused
// because some caller could expand it into a reserved username, or "".
// system:node:{{Var}} stays allowed: no variable produces a colon, so it
// always expands to a node name.
func reservedUsernameTemplate(tmpl string) string {
	if !strings.Contains(tmpl, "{{") {
		return ""
	}
	for _, p := range reservedPrefixes {
		if !reservedPrefixPossible(tmpl, p) {
			continue
		}
		if p == "system:" && nodeUsernameTemplate(tmpl) {
			continue
		}
		return fmt.Sprintf("a caller's session name or other variable can make it a %s username (%skube-scheduler, say); only system:node:{{Variable}} may use system:", p, p)
	}
	return ""
}

// nodeUsernameTemplate reports whether tmpl always expands to
// system:node:NAME with NAME non-empty and free of colons.
func nodeUsernameTemplate(tmpl string) bool {
	rest, ok := strings.CutPrefix(tmpl, nodePrefix)
	return ok && strings.Contains(rest, "{{") && !strings.Contains(rest, ":")
}

// reservedPrefixPossible reports whether some values of the variables make
// tmpl expand to a string starting with prefix, letter case ignored. It
// tracks the set of prefix positions the expansion can have reached; a
// variable expands to one or more characters of its alphabet. A template
// that does not scan is left to checkTemplate.
func reservedPrefixPossible(tmpl, prefix string) bool {
	// at is the set of positions, as bits: every prefix is shorter than 64
	// characters. A set, not a map, as this runs for every entry of a
	// 100,000-entry aws-auth, twice.
	var at uint64 = 1
	done := false
	step := func(next *uint64, k int) {
		if k >= len(prefix) {
			done = true
		} else {
			*next |= 1 << k
		}
	}
	err := scanTemplate(tmpl, func(lit string) {
		var next uint64
		for k := range len(prefix) {
			if at&(1<<k) == 0 {
				continue
			}
			n := len(lit)
			if rest := len(prefix) - k; n > rest {
				n = rest
			}
			if strings.EqualFold(lit[:n], prefix[k:k+n]) {
				step(&next, k+len(lit))
			}
		}
		at = next
	}, func(name string) error {
		alphabet := variableAlphabet(name)
		var next uint64
		for k := range len(prefix) {
			if at&(1<<k) == 0 {
				continue
			}
			for m := k; m < len(prefix) && strings.IndexByte(alphabet, lower(prefix[m])) >= 0; m++ {
				step(&next, m+1)
			}
		}
		at = next
		return nil
	})
	return err == nil && done
}

// lower returns an ASCII letter in lower case, any other byte unchanged.
func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// variableAlphabet returns the lowercase letters and punctuation a
// variable's value may hold (digits left out: no prefix has one). Role
// session names match [\w+=,.@-]; {{SessionName}} has '@' replaced by '-'.
// None holds a colon.
func variableAlphabet(name string) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	switch name {
	case VarSessionName:
		return letters + "_+=,.-"
	case VarSessionNameRaw:
		return letters + "_+=,.@-"
	case VarAccessKeyID:
		return letters
	case VarEC2PrivateDNSName:
		return letters + ".-"
	}
	return "" // AccountID: twelve digits
}

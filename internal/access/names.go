package access

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// reservedPrefixes are the prefixes EKS refuses at the start of custom
// usernames and Kubernetes groups: system: is Kubernetes's own, the others
// are reserved for AWS (EKS User Guide, "Creating access entries" and "Set
// a custom username for EKS access entries"). They are matched without
// regard to letter case: "System:admin" is as reserved as "system:admin"
// to a reader, and an entry that is accepted and then fails every login
// helps nobody.
var reservedPrefixes = [...]string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// reservedPrefix returns the reserved prefix s starts with, in any letter
// case, or "".
func reservedPrefix(s string) string {
	for _, prefix := range reservedPrefixes {
		if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
			return prefix
		}
	}
	return ""
}

// ValidateUsername checks a custom access entry username as EKS does (EKS
// user guide, "Set a custom username for EKS access entries" and "Create
// access entries"): it cannot start with system:, eks:, aws:, amazon: or
// iam:, and one that uses {{SessionName}} or {{SessionNameRaw}} must have a
// colon before it ("admin:{{SessionName}}", ":john{{SessionName}}"; not
// "john{{SessionName}}"). kubeiam also refuses white space at either end,
// control characters and templates the authenticator cannot expand. The CLI
// runs it before sending, so that both say the same.
func ValidateUsername(u string) error {
	if strings.TrimSpace(u) != u || !utf8.ValidString(u) {
		return newError(InvalidParameterException, "The username %q is invalid, it cannot have leading or trailing white space.", u)
	}
	if i := controlAt(u); i >= 0 {
		return newError(InvalidParameterException, "The username %q is invalid, it cannot contain control characters (offset %d).", u, i)
	}
	if prefix := reservedPrefix(u); prefix != "" {
		// EKS's words (UpdateAccessEntry, quoted in
		// aws-ia/terraform-aws-eks-blueprints issue 2004).
		return newError(InvalidParameterException, "The username must not begin with %s", prefix)
	}
	if err := checkTemplate(u); err != nil {
		return newError(InvalidParameterException, "The username %q is invalid: %s", u, err).withCause(err)
	}
	if v, ok := SessionNameWithoutColon(u); ok {
		return newError(InvalidParameterException, "The username %s is invalid, it must include a colon before {{%s}}", u, v)
	}
	return nil
}

// SessionNameWithoutColon returns the session name template ("SessionName"
// or "SessionNameRaw") u uses with no colon anywhere before it, if any:
// the EKS rule ValidateUsername enforces, for callers that explain it in
// their own words. The colon keeps a session name
// from forming a username on its own: with "{{SessionName}}" alone, a
// session named "system:admin" would become that user.
func SessionNameWithoutColon(u string) (string, bool) {
	first, name := -1, ""
	for _, v := range []string{awsauth.VarSessionName, awsauth.VarSessionNameRaw} {
		if i := strings.Index(u, "{{"+v+"}}"); i >= 0 && (first < 0 || i < first) {
			first, name = i, v
		}
	}
	if first < 0 || strings.Contains(u[:first], ":") {
		return "", false
	}
	return name, true
}

// validateGroups checks the custom Kubernetes groups of a STANDARD entry and
// returns them without duplicates, in the order given.
func validateGroups(groups []string) ([]string, error) {
	out := make([]string, 0, len(groups))
	seen := make(map[string]bool, len(groups))
	for _, g := range groups {
		if g == "" || strings.TrimSpace(g) != g || !utf8.ValidString(g) {
			return nil, newError(InvalidParameterException,
				"The kubernetes group name %q is invalid, it cannot be empty or have leading or trailing white space.", g)
		}
		if i := controlAt(g); i >= 0 {
			return nil, newError(InvalidParameterException, "The kubernetes group name %q is invalid, it cannot contain control characters (offset %d).", g, i)
		}
		// system:masters would bypass every authorizer; the other system:
		// groups belong to Kubernetes components, eks: and the rest to AWS.
		if prefix := reservedPrefix(g); prefix != "" {
			return nil, newError(InvalidParameterException, "The kubernetes group name %s is invalid, it cannot start with %s", g, prefix)
		}
		if err := checkTemplate(g); err != nil {
			return nil, newError(InvalidParameterException, "The kubernetes group name %q is invalid: %s", g, err).withCause(err)
		}
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out, nil
}

// controlAt returns the byte offset of the first control character in s
// (C0, DEL, C1), or -1. Such characters would forge lines in logs and
// audit records, and no Kubernetes name needs them.
func controlAt(s string) int {
	for i, r := range s {
		if unicode.IsControl(r) {
			return i
		}
	}
	return -1
}

// The AWS tagging limits.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validateTags checks tags against the AWS tagging rules and returns a copy.
func validateTags(tags map[string]string) (map[string]string, error) {
	if len(tags) > maxTags {
		return nil, newError(InvalidParameterException, "Too many tags: %d, the maximum is %d.", len(tags), maxTags)
	}
	for k, v := range tags {
		if k == "" || utf8.RuneCountInString(k) > maxTagKeyLen || !utf8.ValidString(k) {
			return nil, newError(InvalidParameterException, "The tag key %q is invalid, it must be 1 to %d characters long.", k, maxTagKeyLen)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, newError(InvalidParameterException, "The tag key %q is invalid, the prefix aws: is reserved for AWS use.", k)
		}
		if utf8.RuneCountInString(v) > maxTagValueLen || !utf8.ValidString(v) {
			return nil, newError(InvalidParameterException, "The value of tag %q is invalid, it must be at most %d characters long.", k, maxTagValueLen)
		}
	}
	return cloneTags(tags), nil
}

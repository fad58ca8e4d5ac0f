package access

import (
	"strings"
	"unicode/utf8"
)

// reservedUsernamePrefixes are the prefixes EKS refuses in custom usernames:
// system: is Kubernetes's own; the others are reserved for AWS.
var reservedUsernamePrefixes = [...]string{"system:", "eks:", "aws:", "amazon:", "iam:"}

// validateUsername checks a custom Kubernetes username.
func validateUsername(u string) error {
	if strings.TrimSpace(u) != u || !utf8.ValidString(u) {
		return newError(InvalidParameterException, "The username %q is invalid, it cannot have leading or trailing white space.", u)
	}
	for _, prefix := range reservedUsernamePrefixes {
		if strings.HasPrefix(u, prefix) {
			return newError(InvalidParameterException, "The username %s is invalid, it cannot start with %s", u, prefix)
		}
	}
	return nil
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
		// system:masters would bypass every authorizer; the other system:
		// groups belong to Kubernetes components.
		if strings.HasPrefix(g, "system:") {
			return nil, newError(InvalidParameterException, "The kubernetes group name %s is invalid, it cannot start with system:", g)
		}
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out, nil
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

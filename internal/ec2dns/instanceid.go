package ec2dns

import "strings"

// ValidInstanceID reports whether s is an EC2 instance ID: "i-" and 8
// (older instances) or 17 lowercase hexadecimal digits. Anything else is
// refused before any call, so that a session name cannot smuggle a
// parameter, a wildcard or a second ID into DescribeInstances.
func ValidInstanceID(s string) bool {
	hex, ok := strings.CutPrefix(s, "i-")
	if !ok || (len(hex) != 8 && len(hex) != 17) {
		return false
	}
	for i := range len(hex) {
		c := hex[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validDNSName reports whether s looks like a private DNS name EC2 gives
// (ip-10-0-0-1.ec2.internal, i-0123456789abcdef0.us-west-2.compute.internal):
// lowercase letters, digits and hyphens in dot-separated labels. The name
// becomes part of a Kubernetes username, so anything else is treated as a
// malformed answer rather than passed on.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := range len(label) {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// namedInstanceIDs returns the IDs of want that msg mentions. EC2 fails a
// whole DescribeInstances call when one ID does not exist, and names the
// missing ones in the message: "The instance IDs 'i-1, i-2' do not exist".
func namedInstanceIDs(msg string, want []string) []string {
	mentioned := map[string]bool{}
	for f := range strings.FieldsFuncSeq(msg, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-'
	}) {
		if ValidInstanceID(f) {
			mentioned[f] = true
		}
	}
	var out []string
	for _, id := range want {
		if mentioned[id] {
			out = append(out, id)
			delete(mentioned, id) // an ID twice in want is named once
		}
	}
	return out
}

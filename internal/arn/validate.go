package arn

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// partitions are the partition IDs kubeiam accepts in ARNs.
var partitionIDs = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// Partitions returns the accepted partition IDs, sorted.
func Partitions() []string {
	out := make([]string, 0, len(partitionIDs))
	for id := range partitionIDs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func knownPartition(id string) bool { return partitionIDs[id] }

// ValidAccount reports whether s is a 12-digit AWS account ID.
func ValidAccount(s string) bool { return validAccount(s) }

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validName checks an IAM user, role or federated user name: 1..max of
// letters, digits and +=,.@_- (the IAM character set).
func validName(s string, max int) error {
	if s == "" {
		return fmt.Errorf("%w: empty name", ErrMalformed)
	}
	if c, bad := firstBadChar(s, nameChar); bad {
		return fmt.Errorf("%w: character %s not allowed in an IAM name", ErrMalformed, c)
	}
	if len(s) > max {
		return fmt.Errorf("%w: name longer than %d characters", ErrMalformed, max)
	}
	return nil
}

// firstBadChar finds the first character of s that ok refuses and quotes it
// as the user typed it: a whole character, not the first byte of its UTF-8
// encoding ('é', not 'Ã'), and a byte that is not UTF-8 as '\xff'. Every
// character ok accepts is ASCII.
func firstBadChar(s string, ok func(byte) bool) (string, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return fmt.Sprintf(`'\x%02x'`, s[i]), true
		case r >= utf8.RuneSelf || !ok(byte(r)):
			return fmt.Sprintf("%q", r), true
		}
		i += size
	}
	return "", false
}

// validSessionName checks an STS role session name: 2..64 of the IAM set.
// Older sessions can be 1 character long; accept that too.
func validSessionName(s string) error { return validName(s, 64) }

func nameChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '+', '=', ',', '.', '@', '_', '-':
		return true
	}
	return false
}

// pathChar is a character IAM allows in a path: printable ASCII but space
// (IAM API reference, "Path": U+0021 through U+007E).
func pathChar(c byte) bool { return c >= 0x21 && c <= 0x7e }

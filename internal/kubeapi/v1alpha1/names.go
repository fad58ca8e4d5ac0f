package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// maxReadableName bounds the readable part of an AccessEntry name taken from
// the principal's name.
const maxReadableName = 40

// AccessEntryName returns the object name of the AccessEntry of a principal:
//
//	KIND-ACCOUNT-READABLE-HASH
//
// KIND is role or user, ACCOUNT the principal's account, READABLE the
// principal's name lowercased with every run of other characters than a-z
// and 0-9 replaced by one '-' (at most 40 characters), and HASH the first 16
// hex digits of the SHA-256 of the principal's lookup key (arn.Principal.Key:
// partition, account, kind and the name lowercased, without the path). So
// every ARN of one principal (any path, any case of the name, one of its
// assumed-role sessions) has the same name, and the API server refuses a
// second AccessEntry for the principal: one entry per principal is enforced
// by object names, without a transaction. For example
// arn:aws:iam::111122223333:role/Admins/Dev names role-111122223333-dev-<hash>.
func AccessEntryName(principalARN string) (string, error) {
	p, err := arn.Parse(principalARN)
	if err != nil {
		return "", fmt.Errorf("access entry name: %w", err)
	}
	if p.Kind == arn.KindAssumedRole {
		if p, err = arn.Parse(p.Canonical()); err != nil {
			return "", fmt.Errorf("access entry name: %w", err)
		}
	}
	if !p.IsIAM() {
		return "", fmt.Errorf("access entry name: %s is not an IAM user or role", principalARN)
	}
	sum := sha256.Sum256([]byte(p.Key()))
	readable := sanitize(p.Name)
	if readable == "" {
		readable = "x"
	}
	return p.Kind.String() + "-" + p.Account + "-" + readable + "-" + hex.EncodeToString(sum[:8]), nil
}

// sanitize lowercases s and keeps runs of [a-z0-9] separated by one '-'.
func sanitize(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
			if b.Len() >= maxReadableName {
				break
			}
			continue
		}
		dash = true
	}
	return b.String()
}

// AccessEntryLabel labels the RequestTokens of an AccessEntry with the
// entry's name, so that they are deleted with it.
const AccessEntryLabel = "kubeiam.io/access-entry"

// RequestTokenName returns the object name of the RequestToken of a
// clientRequestToken: the SHA-256 of the token in hex, a valid name
// whatever characters the token has.
func RequestTokenName(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

package token

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// strictEncoding decodes only the canonical form Encode produces: the
// URL-safe alphabet, no padding, zero trailing bits. Decode additionally
// refuses CR and LF, which the standard decoder silently skips.
var strictEncoding = base64.RawURLEncoding.Strict()

// Decode returns the presigned URL text inside tok. It checks only the
// envelope (length, prefix, encoding), cheapest first; Validator.Validate
// checks the URL itself. Every error satisfies errors.Is(err, ErrInvalidToken).
func Decode(tok string) (string, error) {
	if len(tok) > MaxLength {
		return "", fmt.Errorf("%w: %d characters", ErrTooLong, len(tok))
	}
	payload, ok := strings.CutPrefix(tok, Prefix)
	if !ok {
		return "", ErrPrefix
	}
	if payload == "" {
		return "", fmt.Errorf("%w: empty payload", ErrEncoding)
	}
	for i := 0; i < len(payload); i++ {
		if !isBase64URL(payload[i]) {
			// Say where, never what: the token is a credential.
			return "", fmt.Errorf("%w: character not in the base64url alphabet at offset %d", ErrEncoding, len(Prefix)+i)
		}
	}
	b, err := strictEncoding.DecodeString(payload)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrEncoding, err)
	}
	return string(b), nil
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// Fingerprint returns the first 12 hex digits of the token's SHA-256: the
// only form in which a token may appear in logs and output.
func Fingerprint(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])[:12]
}

package token

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/partition"
)

// parseSignedHeaders checks X-Amz-SignedHeaders: lowercase header names in
// the strictly ascending order SigV4 prescribes, including host and the
// cluster binding header. Without a signed x-k8s-aws-id a token would be
// valid for every cluster that trusts the account.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	var host, cluster bool
	for i, n := range names {
		if n == "" || !isHeaderName(n) {
			return nil, fmt.Errorf("%w: malformed list", ErrSignedHeaders)
		}
		if i > 0 && n <= names[i-1] {
			return nil, fmt.Errorf("%w: not sorted or repeated", ErrSignedHeaders)
		}
		host = host || n == "host"
		cluster = cluster || n == ClusterIDHeader
	}
	if !host || !cluster {
		return nil, ErrSignedHeaders
	}
	return names, nil
}

func isHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parseExpires checks X-Amz-Expires: a canonical decimal integer (no sign,
// no leading zeros) from 0 to MaxExpires.
func parseExpires(s string) (time.Duration, error) {
	if len(s) > 3 || !isDigits(s) || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: %s", ErrExpires, quoteName(s))
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > MaxExpires {
		return 0, fmt.Errorf("%w: %s", ErrExpires, quoteName(s))
	}
	return time.Duration(n) * time.Second, nil
}

// parseDate checks X-Amz-Date and the validity window around now.
func parseDate(s string, now time.Time) (time.Time, error) {
	if len(s) != len(DateFormat) {
		return time.Time{}, fmt.Errorf("%w: %s", ErrDate, quoteName(s))
	}
	t, err := time.Parse(DateFormat, s)
	if err != nil || t.Format(DateFormat) != s {
		return time.Time{}, fmt.Errorf("%w: %s", ErrDate, quoteName(s))
	}
	if age := now.Sub(t); age > ServerValidity {
		return time.Time{}, fmt.Errorf("%w: signed at %s, %s ago", ErrTooOld, s, age.Truncate(time.Second))
	} else if -age > MaxClockSkew {
		return time.Time{}, fmt.Errorf("%w: signed at %s, %s ahead of this server's clock", ErrFromFuture, s, (-age).Truncate(time.Second))
	}
	return t, nil
}

// parseCredential checks X-Amz-Credential, AKID/DATE/REGION/sts/aws4_request,
// against X-Amz-Date and the host. The scope region must be the one the
// host serves, so a token cannot name one region in its host and be
// verified against another; the global endpoint signs for the partition's
// default region (the SDKs presign sts.amazonaws.com for us-east-1).
func parseCredential(s, date string, ep partition.STSEndpoint) (akid, region string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 {
		return "", "", fmt.Errorf("%w: %d parts", ErrCredential, len(parts))
	}
	akid, day, region, service, term := parts[0], parts[1], parts[2], parts[3], parts[4]
	// Access key IDs are 16 to 128 word characters per the IAM API; local
	// emulators use short ones like "test", so only the alphabet is checked.
	if akid == "" || len(akid) > 128 || !isAlnum(akid) {
		return "", "", fmt.Errorf("%w: malformed access key ID", ErrCredential)
	}
	if len(day) != 8 || !isDigits(day) {
		return "", "", fmt.Errorf("%w: malformed date", ErrCredential)
	}
	if service != "sts" || term != "aws4_request" {
		return "", "", fmt.Errorf("%w: scope %s/%s", ErrCredential, quoteName(service), quoteName(term))
	}
	if day != date[:8] {
		return "", "", fmt.Errorf("%w: %s vs %s", ErrCredentialDate, day, date)
	}
	if region != ep.Region {
		return "", "", fmt.Errorf("%w: scope region %s, host %s serves %s", ErrCredentialRegion, quoteName(region), ep.Host, ep.Region)
	}
	return akid, region, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

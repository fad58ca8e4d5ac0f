// Package decisionlog keeps the most recent authentication decisions in
// memory, bounded, for the diagnosis commands and the console, and lets
// callers query and follow them.
package decisionlog

import (
	"strings"
	"time"
)

// Decision values.
const (
	Granted = "granted"
	Denied  = "denied"
)

// Record is one authentication decision. It never holds a token: TokenHash
// is the first 12 hex digits of the token's SHA-256.
type Record struct {
	Seq          uint64    `json:"seq"`
	Time         time.Time `json:"time"`
	Decision     string    `json:"decision"`
	ARN          string    `json:"arn,omitempty"`
	CanonicalARN string    `json:"canonicalArn,omitempty"`
	AccountID    string    `json:"accountId,omitempty"`
	Username     string    `json:"username,omitempty"`
	UID          string    `json:"uid,omitempty"`
	Groups       []string  `json:"groups,omitempty"`
	Source       string    `json:"source,omitempty"`
	Policies     []string  `json:"policies,omitempty"`
	Code         string    `json:"code,omitempty"`
	Error        string    `json:"error,omitempty"`
	Notes        []string  `json:"notes,omitempty"`
	Client       string    `json:"client,omitempty"`
	Method       string    `json:"method,omitempty"`
	Path         string    `json:"path,omitempty"`
	TokenHash    string    `json:"tokenHash,omitempty"`
	AccessKeyID  string    `json:"accessKeyId,omitempty"`
	Cached       bool      `json:"cached,omitempty"`
}

// Filter selects records. Zero fields match everything.
type Filter struct {
	// Username matches exactly.
	Username string
	// ARN matches as a case-insensitive substring of the ARN or the
	// canonical ARN; a "*" in it matches any run of characters.
	ARN string
	// Decision is Granted or Denied.
	Decision string
	// Code matches the reason code exactly; Reason is a case-insensitive
	// substring of the error text.
	Code, Reason string
	// Since keeps records at or after this time.
	Since time.Time
	// AfterSeq keeps records with a larger sequence number (for following).
	AfterSeq uint64
}

// Match reports whether r passes f.
func (f Filter) Match(r Record) bool {
	switch {
	case f.Username != "" && r.Username != f.Username,
		f.Decision != "" && r.Decision != f.Decision,
		f.Code != "" && r.Code != f.Code,
		f.Reason != "" && !strings.Contains(strings.ToLower(r.Error), strings.ToLower(f.Reason)),
		!f.Since.IsZero() && r.Time.Before(f.Since),
		r.Seq <= f.AfterSeq:
		return false
	}
	if f.ARN != "" && !matchARN(f.ARN, r.ARN) && !matchARN(f.ARN, r.CanonicalARN) {
		return false
	}
	return true
}

// matchARN matches pattern as a case-insensitive substring, where "*"
// stands for any run of characters.
func matchARN(pattern, s string) bool {
	if s == "" {
		return false
	}
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	parts := strings.Split(pattern, "*")
	i := 0
	for _, p := range parts {
		j := strings.Index(s[i:], p)
		if j < 0 {
			return false
		}
		i += j + len(p)
	}
	return true
}

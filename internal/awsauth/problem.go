package awsauth

import (
	"fmt"
	"strings"
)

// Severity says whether a problem rejects the document.
type Severity int

// Severities. An Error rejects the whole document; a Warning does not.
const (
	Error Severity = iota + 1
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "unknown"
}

// Code identifies a kind of problem. Codes are stable: tools and tests may
// match on them, messages may change.
type Code string

// Problem codes.
const (
	CodeUnknownKey       Code = "unknown-key"       // a data key kubeiam does not interpret
	CodeUnknownField     Code = "unknown-field"     // an entry field kubeiam does not interpret
	CodeInvalidARN       Code = "invalid-arn"       // the ARN does not parse
	CodeMissingARN       Code = "missing-arn"       // neither rolearn nor sso, or no userarn
	CodeARNAndSSO        Code = "arn-and-sso"       // both rolearn and sso
	CodeAssumedRoleARN   Code = "assumed-role-arn"  // rolearn is an STS session ARN
	CodeWrongSection     Code = "wrong-section"     // a user in mapRoles or a role in mapUsers
	CodeRolePath         Code = "role-path"         // rolearn has a path, SSO paths included
	CodeMissingUsername  Code = "missing-username"  // no username
	CodeReservedUsername Code = "reserved-username" // username in a reserved namespace
	CodeUnknownTemplate  Code = "unknown-template"  // {{Name}} kubeiam does not know, or a stray {{
	CodeSessionOnUser    Code = "session-on-user"   // {{SessionName}} in mapUsers never expands
	CodeEmptyGroup       Code = "empty-group"       // a group is empty
	CodeSSOField         Code = "sso-field"         // an sso field is missing or invalid
	CodeInvalidAccount   Code = "invalid-account"   // not a 12-digit account ID
	CodeAccountNumber    Code = "account-number"    // an unquoted account ID YAML reads as a number
	CodeDuplicate        Code = "duplicate"         // same principal, permission set or account again
	CodeReservedTemplate Code = "reserved-template" // a template some caller can expand into a reserved name (groups: error, usernames: warning)
)

// Problem is a validation finding about one entry or key.
type Problem struct {
	// Key is the data key: mapRoles, mapUsers, mapAccounts or an unknown key.
	Key string
	// Index is the entry's position in the key's list, -1 for the key itself.
	Index int
	// Line is the 1-based line within the key's YAML value, 0 when unknown
	// (documents built in code rather than parsed).
	Line     int
	Severity Severity
	Code     Code
	Message  string
}

// String formats the problem as "mapRoles[2] line 7: error role-path: ...".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Key)
	if p.Index >= 0 {
		fmt.Fprintf(&b, "[%d]", p.Index)
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, " line %d", p.Line)
	}
	fmt.Fprintf(&b, ": %s %s: %s", p.Severity, p.Code, p.Message)
	return b.String()
}

// Problems is the list of findings about a document.
type Problems []Problem

// HasErrors reports whether any problem has severity Error, in which case
// the document must be rejected as a whole.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns the problems of severity Error.
func (ps Problems) Errors() Problems { return ps.filter(Error) }

// Warnings returns the problems of severity Warning.
func (ps Problems) Warnings() Problems { return ps.filter(Warning) }

func (ps Problems) filter(s Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// ParseError is a YAML syntax error or a value of the wrong shape (a
// mapping where a list belongs, a list where a string belongs). Nothing of
// the document is usable when Parse returns one.
type ParseError struct {
	// Key is the data key whose value failed to parse.
	Key string
	// Line is the 1-based line within that value, 0 when the YAML library
	// did not say.
	Line int
	// Msg says what is wrong.
	Msg string
	// Err is the underlying YAML error, if any.
	Err error
}

// Error implements error.
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("aws-auth %s line %d: %s", e.Key, e.Line, e.Msg)
	}
	return fmt.Sprintf("aws-auth %s: %s", e.Key, e.Msg)
}

// Unwrap returns the underlying YAML error.
func (e *ParseError) Unwrap() error { return e.Err }

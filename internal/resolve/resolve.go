package resolve

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// Options carries what resolution may need beyond the snapshot.
type Options struct {
	// EC2PrivateDNSName resolves {{EC2PrivateDNSName}} for the caller's
	// instance; nil when EC2 lookups are not enabled.
	EC2PrivateDNSName func(id identity.Identity) (string, error)
}

// Resolve maps a verified identity to a Kubernetes user by the rules of
// the snapshot's authentication mode:
//   - the creator is an administrator (implicitly in CONFIG_MAP);
//   - CONFIG_MAP consults aws-auth only;
//   - API_AND_CONFIG_MAP consults both, and an access entry wins;
//   - API consults access entries only, and notes an aws-auth match it ignored.
//
// A caller that maps to nothing is a Result with Mapped false, not an error.
func Resolve(id identity.Identity, s *Snapshot, opts Options) Result {
	if s == nil {
		s = &Snapshot{}
	}
	key := id.Key()
	vars := awsauth.Vars{AccountID: id.AccountID, SessionName: id.SessionName, AccessKeyID: id.AccessKeyID}
	if opts.EC2PrivateDNSName != nil {
		vars.EC2PrivateDNSName = func() (string, error) { return opts.EC2PrivateDNSName(id) }
	}
	var notes []string

	if s.CreatorImplicit && s.CreatorKey != "" && key == s.CreatorKey {
		return Result{
			Mapped: true, Username: CreatorUsername, Groups: CreatorGroups(),
			Source: SourceCreator, SourceDetail: "cluster creator " + s.CreatorARN,
			Code: CodeMapped,
		}
	}

	var match awsauth.Match
	var matched bool
	if s.AWSAuth != nil {
		match, matched = s.AWSAuth.Lookup(id)
	}

	var stale *Entry
	if s.UseAccessEntries {
		e, ok := s.Entries[key]
		if ok && !boundTo(e, id) {
			stale = &e
			notes = append(notes, recreatedNote(e, id))
			ok = false
		} else if !ok {
			notes = append(notes, "no access entry for "+id.CanonicalARN)
		}
		if ok {
			switch {
			case matched && s.UseAWSAuth:
				notes = append(notes, fmt.Sprintf("aws-auth %s also matched; the access entry takes precedence", describe(match)))
			case matched:
				notes = append(notes, ignoredNote(match, s.Mode))
			}
			return fromEntry(e, vars, notes)
		}
	} else {
		notes = append(notes, "access entries not consulted: authentication mode is "+s.Mode)
	}

	if matched {
		if !s.UseAWSAuth {
			notes = append(notes, ignoredNote(match, s.Mode))
		} else {
			return fromAWSAuth(match, vars, notes)
		}
	} else if s.UseAWSAuth {
		notes = append(notes, "no aws-auth mapping for "+id.CanonicalARN)
	}
	if stale != nil {
		return Result{Code: CodePrincipalRecreated, Reason: RecreatedReason, Notes: notes}
	}
	return Result{Code: CodeNotMapped, Reason: "ARN is not mapped", Notes: notes}
}

// RecreatedReason is the public reason of CodePrincipalRecreated.
const RecreatedReason = "ARN is not mapped: its access entry belongs to a deleted principal of the same ARN"

// boundTo reports whether entry e is for the principal the caller is. EKS
// stores the principal's unique ID with the entry and a principal deleted
// and recreated with the same ARN gets a new one (EKS API reference,
// AccessEntry, principalArn), so an entry matches only the principal whose
// STS UserId ("AROA...:session" for a role session, "AIDA..." for a user)
// begins with the recorded ID. An entry without a recorded ID, or a caller
// without a UserId, matches by ARN alone.
func boundTo(e Entry, id identity.Identity) bool {
	if e.PrincipalID == "" || id.UserID == "" {
		return true
	}
	return PrincipalID(id) == e.PrincipalID
}

// PrincipalID returns the IAM unique ID of the caller's principal: STS's
// UserId up to the session name.
func PrincipalID(id identity.Identity) string {
	uid, _, _ := strings.Cut(id.UserID, ":")
	return uid
}

func recreatedNote(e Entry, id identity.Identity) string {
	return fmt.Sprintf("access entry %s was created for the principal with unique ID %s, but the caller's is %s: the principal was deleted and recreated since",
		e.PrincipalARN, e.PrincipalID, PrincipalID(id))
}

func describe(m awsauth.Match) string {
	return fmt.Sprintf("%s[%d] (%s)", m.Source, m.Index, m.MatchedARN)
}

func ignoredNote(m awsauth.Match, mode string) string {
	return fmt.Sprintf("aws-auth %s matched but is ignored: authentication mode is %s", describe(m), mode)
}

// fromEntry maps through an access entry. The username goes through
// awsauth.Match.Expand, not awsauth.Expand, because only the expanded name
// can be checked: a custom username "{{SessionNameRaw}}:admin" passes
// validation, yet a session named "system" would make it system:admin.
// Entry groups are literal and validated when the entry is written.
func fromEntry(e Entry, vars awsauth.Vars, notes []string) Result {
	username, _, err := awsauth.Match{UsernameTemplate: e.Username}.Expand(vars)
	if err != nil {
		return templateFailure(err, "access entry "+e.PrincipalARN, notes)
	}
	return Result{
		Mapped: true, Username: username, Groups: slices.Clone(e.Groups),
		Source: SourceAccessEntry, SourceDetail: "access entry " + e.PrincipalARN,
		Grants: cloneGrants(e.Grants), Code: CodeMapped, Notes: notes,
	}
}

// fromAWSAuth maps through an aws-auth entry. Match.Expand refuses a
// username that expands to nothing or into a reserved namespace, and asks
// the EC2 resolver once however many templates use it.
func fromAWSAuth(m awsauth.Match, vars awsauth.Vars, notes []string) Result {
	detail := describe(m)
	username, groups, err := m.Expand(vars)
	if err != nil {
		return templateFailure(err, "aws-auth "+detail, notes)
	}
	return Result{
		Mapped: true, Username: username, Groups: groups,
		Source: Source(m.Source), SourceDetail: detail, Code: CodeMapped, Notes: notes,
	}
}

// cloneGrants copies grants so that a caller changing a Result cannot
// change the snapshot, which is shared and immutable.
func cloneGrants(gs []authz.Grant) []authz.Grant {
	if gs == nil {
		return nil
	}
	out := make([]authz.Grant, len(gs))
	for i, g := range gs {
		g.Scope.Namespaces = slices.Clone(g.Scope.Namespaces)
		out[i] = g
	}
	return out
}

func templateFailure(err error, where string, notes []string) Result {
	code := CodeTemplateFailed
	if errors.Is(err, awsauth.ErrEC2DNSUnavailable) {
		code = CodeEC2DNSUnavailable
	}
	return Result{
		Code: code, Reason: fmt.Sprintf("%s matched but its templates could not be expanded: %v", where, err),
		Notes: notes,
	}
}

package resolve

import (
	"errors"
	"fmt"
	"slices"

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

	if s.UseAccessEntries {
		if e, ok := s.Entries[key]; ok {
			switch {
			case matched && s.UseAWSAuth:
				notes = append(notes, fmt.Sprintf("aws-auth %s also matched; the access entry takes precedence", describe(match)))
			case matched:
				notes = append(notes, ignoredNote(match, s.Mode))
			}
			return fromEntry(e, vars, notes)
		}
		notes = append(notes, "no access entry for "+id.CanonicalARN)
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
	return Result{Code: CodeNotMapped, Reason: "ARN is not mapped", Notes: notes}
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

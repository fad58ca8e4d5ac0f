package resolve

import (
	"errors"
	"fmt"

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
			if matched && s.UseAWSAuth {
				notes = append(notes, fmt.Sprintf("aws-auth %s also matched; the access entry takes precedence", describe(match)))
			}
			return fromEntry(e, vars, notes)
		}
		notes = append(notes, "no access entry for "+id.CanonicalARN)
	} else {
		notes = append(notes, "access entries not consulted: authentication mode is "+s.Mode)
	}

	if matched {
		if !s.UseAWSAuth {
			notes = append(notes, fmt.Sprintf("aws-auth %s matched but is ignored: authentication mode is %s", describe(match), s.Mode))
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

func fromEntry(e Entry, vars awsauth.Vars, notes []string) Result {
	username, err := awsauth.Expand(e.Username, vars)
	if err != nil {
		return templateFailure(err, "access entry "+e.PrincipalARN, notes)
	}
	return Result{
		Mapped: true, Username: username, Groups: append([]string(nil), e.Groups...),
		Source: SourceAccessEntry, SourceDetail: "access entry " + e.PrincipalARN,
		Grants: e.Grants, Code: CodeMapped, Notes: notes,
	}
}

func fromAWSAuth(m awsauth.Match, vars awsauth.Vars, notes []string) Result {
	detail := describe(m)
	username, err := awsauth.Expand(m.UsernameTemplate, vars)
	if err != nil {
		return templateFailure(err, "aws-auth "+detail, notes)
	}
	groups := make([]string, 0, len(m.GroupTemplates))
	for _, g := range m.GroupTemplates {
		v, err := awsauth.Expand(g, vars)
		if err != nil {
			return templateFailure(err, "aws-auth "+detail, notes)
		}
		groups = append(groups, v)
	}
	return Result{
		Mapped: true, Username: username, Groups: groups,
		Source: Source(m.Source), SourceDetail: detail, Code: CodeMapped, Notes: notes,
	}
}

func templateFailure(err error, where string, notes []string) Result {
	code := CodeTemplateFailed
	if errors.Is(err, awsauth.ErrEC2DNSUnavailable) {
		code = CodeEC2DNSUnavailable
	}
	return Result{
		Code: code, Reason: fmt.Sprintf("%s matched but its username template failed: %v", where, err),
		Notes: notes,
	}
}

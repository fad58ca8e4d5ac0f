// Package arn parses and canonicalizes the IAM and STS principal ARNs that
// can authenticate to a cluster. It is pure: no I/O, no logging.
//
// Matching rules (the choice kubeiam makes, the same one EKS makes):
//   - an assumed-role session ARN matches its role:
//     arn:aws:sts::111122223333:assumed-role/Admin/alice → arn:aws:iam::111122223333:role/Admin;
//   - the IAM path is ignored, because role and user names are unique within an
//     account whatever their path: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123
//     and arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123 are the same role;
//   - the resource part matches case-insensitively, because IAM refuses two
//     users or roles whose names differ only in case. Partition, service and
//     account are compared exactly (they are lowercase or digits anyway).
package arn

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of principal an ARN names.
type Kind int

// The principal kinds kubeiam accepts.
const (
	KindUnknown Kind = iota
	KindUser
	KindRole
	KindRoot
	KindAssumedRole
	KindFederatedUser
)

// String returns the kind as it appears in ARNs ("user", "role", ...).
func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindRole:
		return "role"
	case KindRoot:
		return "root"
	case KindAssumedRole:
		return "assumed-role"
	case KindFederatedUser:
		return "federated-user"
	}
	return "unknown"
}

// Errors returned by Parse, wrapped with the offending input. Compare with errors.Is.
var (
	ErrMalformed          = errors.New("malformed ARN")
	ErrUnknownPartition   = errors.New("unknown partition")
	ErrUnsupportedService = errors.New("not an IAM or STS ARN")
	ErrNotPrincipal       = errors.New("not a principal that can authenticate")
	ErrInvalidAccount     = errors.New("invalid account ID")
)

// SSOPathPrefix is the IAM path under which IAM Identity Center creates the
// roles of its permission sets: /aws-reserved/sso.amazonaws.com/[REGION/].
const SSOPathPrefix = "/aws-reserved/sso.amazonaws.com/"

// serviceRolePathPrefix is the IAM path of service-linked roles.
const serviceRolePathPrefix = "/aws-service-role/"

// Principal is a parsed IAM or STS principal ARN.
type Principal struct {
	Partition string
	Service   string // "iam" or "sts"
	Account   string // 12 digits
	Kind      Kind
	// Path is the IAM path of a user or role, "/" when there is none. It
	// always begins and ends with "/".
	Path string
	// Name is the user, role or federated user name; empty for root.
	Name string
	// Session is the session name of an assumed-role ARN.
	Session string
}

// Parse parses a principal ARN. It accepts IAM users, roles and account roots
// and STS assumed-role and federated-user ARNs in every known partition, and
// refuses everything else (groups, policies, other services) with an error
// that says why.
func Parse(s string) (Principal, error) {
	if len(s) > 2048 {
		return Principal{}, fmt.Errorf("%w: longer than 2048 characters", ErrMalformed)
	}
	var parts [6]string
	if splitARN(s, &parts) != 6 || parts[0] != "arn" {
		return Principal{}, fmt.Errorf("%w %q: want arn:PARTITION:SERVICE::ACCOUNT:RESOURCE", ErrMalformed, s)
	}
	p := Principal{Partition: parts[1], Service: parts[2], Account: parts[4]}
	if !knownPartition(p.Partition) {
		return Principal{}, fmt.Errorf("%w %q in %q (known: %s)", ErrUnknownPartition, p.Partition, s, strings.Join(Partitions(), ", "))
	}
	if p.Service != "iam" && p.Service != "sts" {
		return Principal{}, fmt.Errorf("%w: %q has service %q", ErrUnsupportedService, s, p.Service)
	}
	if parts[3] != "" {
		return Principal{}, fmt.Errorf("%w %q: IAM and STS ARNs have no region", ErrMalformed, s)
	}
	if !validAccount(p.Account) {
		return Principal{}, fmt.Errorf("%w %q in %q: want 12 digits", ErrInvalidAccount, p.Account, s)
	}
	resource := parts[5]
	if resource == "" || strings.ContainsAny(resource, " \t\r\n") {
		return Principal{}, fmt.Errorf("%w %q: empty resource or white space", ErrMalformed, s)
	}
	var err error
	if p.Service == "iam" {
		err = p.parseIAMResource(resource)
	} else {
		err = p.parseSTSResource(resource)
	}
	if err != nil {
		return Principal{}, fmt.Errorf("%q: %w", s, err)
	}
	return p, nil
}

// splitARN splits s at its first five colons, as strings.SplitN(s, ":", 6)
// does but into an array: Parse runs for every aws-auth entry and every
// request, and the slice was its largest allocation. It returns the number
// of parts.
func splitARN(s string, parts *[6]string) int {
	n := 0
	for ; n < 5; n++ {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			break
		}
		parts[n], s = s[:i], s[i+1:]
	}
	parts[n] = s
	return n + 1
}

func (p *Principal) parseIAMResource(resource string) error {
	if resource == "root" {
		p.Kind, p.Path = KindRoot, ""
		return nil
	}
	kind, rest, ok := strings.Cut(resource, "/")
	if !ok {
		return fmt.Errorf("%w: IAM resource %q is not user/NAME, role/NAME or root", ErrNotPrincipal, resource)
	}
	switch kind {
	case "user":
		p.Kind = KindUser
	case "role":
		p.Kind = KindRole
	case "group":
		return fmt.Errorf("%w: IAM groups cannot authenticate; map the users or roles in the group instead", ErrNotPrincipal)
	default:
		return fmt.Errorf("%w: IAM resource type %q (want user, role or root)", ErrNotPrincipal, kind)
	}
	i := strings.LastIndex(rest, "/")
	p.Path, p.Name = "/"+rest[:i+1], rest[i+1:]
	if i < 0 {
		p.Path = "/"
	}
	if err := validName(p.Name, 64); err != nil {
		return fmt.Errorf("%s name: %w", kind, err)
	}
	if strings.Contains(p.Path, "//") || len(p.Path) > 512 {
		return fmt.Errorf("%w: path %q has an empty segment or is too long", ErrMalformed, p.Path)
	}
	if c, bad := firstBadChar(p.Path, pathChar); bad {
		return fmt.Errorf("%w: character %s not allowed in an IAM path", ErrMalformed, c)
	}
	return nil
}

func (p *Principal) parseSTSResource(resource string) error {
	kind, rest, ok := strings.Cut(resource, "/")
	if !ok {
		return fmt.Errorf("%w: STS resource %q is not assumed-role/ROLE/SESSION or federated-user/NAME", ErrNotPrincipal, resource)
	}
	p.Path = "/"
	switch kind {
	case "assumed-role":
		role, session, ok := strings.Cut(rest, "/")
		if !ok || strings.Contains(session, "/") {
			return fmt.Errorf("%w: assumed-role ARN must be assumed-role/ROLE/SESSION", ErrMalformed)
		}
		if err := validName(role, 64); err != nil {
			return fmt.Errorf("role name: %w", err)
		}
		if err := validSessionName(session); err != nil {
			return fmt.Errorf("session name: %w", err)
		}
		p.Kind, p.Name, p.Session = KindAssumedRole, role, session
	case "federated-user":
		if err := validName(rest, 64); err != nil {
			return fmt.Errorf("federated user name: %w", err)
		}
		p.Kind, p.Name = KindFederatedUser, rest
	default:
		return fmt.Errorf("%w: STS resource type %q (want assumed-role or federated-user)", ErrNotPrincipal, kind)
	}
	return nil
}

// String returns the ARN in its full form, path and session included.
func (p Principal) String() string {
	prefix := "arn:" + p.Partition + ":" + p.Service + "::" + p.Account + ":"
	switch p.Kind {
	case KindRoot:
		return prefix + "root"
	case KindUser, KindRole:
		return prefix + p.Kind.String() + p.Path + p.Name
	case KindAssumedRole:
		return prefix + "assumed-role/" + p.Name + "/" + p.Session
	case KindFederatedUser:
		return prefix + "federated-user/" + p.Name
	}
	return ""
}

// Canonical returns the ARN that mappings are matched against: the IAM role
// of an assumed-role session, and users and roles without their path.
// Root and federated-user ARNs are returned unchanged.
func (p Principal) Canonical() string {
	c := p
	switch p.Kind {
	case KindAssumedRole:
		c.Service, c.Kind, c.Session = "iam", KindRole, ""
		c.Path = "/"
	case KindUser, KindRole:
		c.Path = "/"
	}
	return c.String()
}

// Key returns the lookup key for p: Canonical with the resource lowercased.
// Two ARNs name the same principal exactly when their keys are equal.
func (p Principal) Key() string {
	c := p.Canonical()
	i := strings.LastIndex(c, ":")
	return c[:i+1] + strings.ToLower(c[i+1:])
}

// IsSSORole reports whether p is a role created by IAM Identity Center for a
// permission set (its path begins with /aws-reserved/sso.amazonaws.com/).
func (p Principal) IsSSORole() bool {
	return p.Kind == KindRole && strings.HasPrefix(p.Path, SSOPathPrefix)
}

// IsServiceLinkedRole reports whether p is a service-linked role, which no
// person can assume and which access entries refuse.
func (p Principal) IsServiceLinkedRole() bool {
	return p.Kind == KindRole && strings.HasPrefix(p.Path, serviceRolePathPrefix)
}

// HasPath reports whether p is a user or role written with a non-root path.
func (p Principal) HasPath() bool {
	return (p.Kind == KindUser || p.Kind == KindRole) && p.Path != "/"
}

// IsIAM reports whether p is a long-lived IAM identity (user or role) as
// opposed to a session or the account root.
func (p Principal) IsIAM() bool { return p.Kind == KindUser || p.Kind == KindRole }

// Key parses s and returns its lookup key; see Principal.Key.
func Key(s string) (string, error) {
	p, err := Parse(s)
	if err != nil {
		return "", err
	}
	return p.Key(), nil
}

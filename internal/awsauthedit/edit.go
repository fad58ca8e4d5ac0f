package awsauthedit

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// Errors of the edits, wrapped with the details and what to do next.
// Compare with errors.Is.
var (
	// ErrInvalidInput: the ARN, account or permission set given does not
	// name what the edit adds.
	ErrInvalidInput = errors.New("invalid input")
	// ErrExists: the principal is already mapped, and Update was not set.
	ErrExists = errors.New("already mapped")
	// ErrNotFound: no entry maps the principal Remove names.
	ErrNotFound = errors.New("not mapped")
)

// Edit is one change to an aws-auth document. Apply returns the changed
// document, leaving doc unchanged, and notes for the operator about what it
// did beyond the obvious (a path stripped, a session turned into its role).
type Edit interface {
	Apply(doc *awsauth.Document) (*awsauth.Document, []string, error)
}

// AddRole maps an IAM role. ARN may be written with a path (an IAM
// Identity Center role, say) or be an assumed-role session: the role ARN
// without its path is stored, because EKS's authenticator never matches a
// rolearn with a path (STS session ARNs do not carry it) while kubeiam
// ignores paths, so the path-less form works with both.
type AddRole struct {
	ARN string
	// Username is the username template; empty for the form access entries
	// use by default, arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/{{SessionName}}.
	Username string
	Groups   []string
	// Update replaces the username and groups of an existing entry for the
	// role instead of refusing.
	Update bool
	// Append adds Groups to an existing entry for the role, keeping its
	// username and other groups, instead of refusing (keikoproj/aws-auth's
	// --append).
	Append bool
}

// AddUser maps an IAM user, stored as written (STS reports a user's ARN
// with its path, so the path must stay).
type AddUser struct {
	ARN string
	// Username is empty for the user's ARN, the default of access entries.
	Username string
	Groups   []string
	Update   bool
	Append   bool
}

// AddAccount lets every principal of an account authenticate, with its ARN
// as username and no groups.
type AddAccount struct {
	Account string
	// Update makes an account that is already mapped a no-op rather than
	// an error.
	Update bool
}

// AddSSO maps every role IAM Identity Center creates for a permission set
// in an account.
type AddSSO struct {
	PermissionSet string
	Account       string
	// Partition is empty for aws.
	Partition string
	Username  string
	Groups    []string
	Update    bool
	Append    bool
}

// Remove deletes every mapRoles and mapUsers entry whose ARN names the same
// principal as ARN (matched as the authenticator matches: path- and
// case-insensitively, a session as its role), or only those with Username
// when it is set. An ARN that is a 12-digit account ID removes it from
// mapAccounts. PermissionSet with Account removes sso entries instead.
// Username alone removes every mapRoles and mapUsers entry with that
// username (keikoproj/aws-auth's remove-by-username).
type Remove struct {
	ARN           string
	Username      string
	PermissionSet string
	Account       string
}

// Apply implements Edit.
func (e AddRole) Apply(doc *awsauth.Document) (*awsauth.Document, []string, error) {
	if err := checkAppend(e.Update, e.Append, e.Groups); err != nil {
		return nil, nil, err
	}
	p, err := arn.Parse(e.ARN)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --arn: %v", ErrInvalidInput, err)
	}
	var notes []string
	switch {
	case p.Kind == arn.KindAssumedRole:
		notes = append(notes, fmt.Sprintf("%s is one session of role %s; stored the role's ARN %s, which maps every session of it", e.ARN, p.Name, p.Canonical()))
	case p.Kind != arn.KindRole:
		return nil, nil, fmt.Errorf("%w: %s is a %s, not a role; map it with add-user", ErrInvalidInput, e.ARN, p.Kind)
	case p.HasPath():
		note := fmt.Sprintf("stored %s without its path %s: EKS's authenticator does not match role ARNs written with a path (STS session ARNs do not carry it) and kubeiam ignores paths, so the path-less ARN works with both", p.Canonical(), p.Path)
		if p.IsSSORole() {
			if set, ok := ssoSet(p.Name); ok {
				note += fmt.Sprintf("; this maps one IAM Identity Center role, which changes name when the permission set is re-provisioned: add-sso --permission-set %s --account %s maps the permission set itself", set, p.Account)
			}
		}
		notes = append(notes, note)
	}
	stored := p.Canonical()
	username := e.Username
	if username == "" {
		username = "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{SessionName}}"
		notes = append(notes, "no --username: using "+username+", the default username of access entries for roles")
	}
	out := clone(doc)
	m := awsauth.RoleMapping{RoleARN: stored, Username: username, Groups: slices.Clone(e.Groups)}
	for i, r := range out.Roles {
		if r.SSO != nil || !sameARN(r.RoleARN, stored) {
			continue
		}
		if e.Append {
			if out.Roles[i], err = appendGroups(r, e.Username, e.Groups); err != nil {
				return nil, nil, err
			}
			return out, nil, nil
		}
		if !e.Update {
			return nil, nil, fmt.Errorf("%w: %s[%d] already maps %s (as %s); pass --update to replace its username and groups, or --append to add groups", ErrExists, awsauth.KeyMapRoles, i, stored, r.RoleARN)
		}
		out.Roles[i] = m
		return out, notes, nil
	}
	out.Roles = append(out.Roles, m)
	return out, notes, nil
}

// Apply implements Edit.
func (e AddUser) Apply(doc *awsauth.Document) (*awsauth.Document, []string, error) {
	if err := checkAppend(e.Update, e.Append, e.Groups); err != nil {
		return nil, nil, err
	}
	p, err := arn.Parse(e.ARN)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --arn: %v", ErrInvalidInput, err)
	}
	switch p.Kind {
	case arn.KindUser, arn.KindRoot, arn.KindFederatedUser:
	case arn.KindRole, arn.KindAssumedRole:
		return nil, nil, fmt.Errorf("%w: %s is a role or a role session; map it with add-role", ErrInvalidInput, e.ARN)
	default:
		return nil, nil, fmt.Errorf("%w: %s is a %s, not a user", ErrInvalidInput, e.ARN, p.Kind)
	}
	var notes []string
	username := e.Username
	if username == "" {
		username = e.ARN
		notes = append(notes, "no --username: using the user's ARN, the default username of access entries for users")
	}
	out := clone(doc)
	m := awsauth.UserMapping{UserARN: e.ARN, Username: username, Groups: slices.Clone(e.Groups)}
	for i, u := range out.Users {
		if !sameARN(u.UserARN, e.ARN) {
			continue
		}
		if e.Append {
			r, err := appendGroups(awsauth.RoleMapping{Username: u.Username, Groups: u.Groups}, e.Username, e.Groups)
			if err != nil {
				return nil, nil, err
			}
			out.Users[i].Groups = r.Groups
			return out, nil, nil
		}
		if !e.Update {
			return nil, nil, fmt.Errorf("%w: %s[%d] already maps %s; pass --update to replace its username and groups, or --append to add groups", ErrExists, awsauth.KeyMapUsers, i, u.UserARN)
		}
		out.Users[i] = m
		return out, notes, nil
	}
	out.Users = append(out.Users, m)
	return out, notes, nil
}

// Apply implements Edit.
func (e AddAccount) Apply(doc *awsauth.Document) (*awsauth.Document, []string, error) {
	if !arn.ValidAccount(e.Account) {
		return nil, nil, fmt.Errorf("%w: account %q is not a 12-digit account ID", ErrInvalidInput, e.Account)
	}
	if i := slices.Index(doc.Accounts, e.Account); i >= 0 {
		if !e.Update {
			return nil, nil, fmt.Errorf("%w: %s[%d] already maps account %s", ErrExists, awsauth.KeyMapAccounts, i, e.Account)
		}
		return clone(doc), []string{"account " + e.Account + " is already mapped; nothing to change"}, nil
	}
	out := clone(doc)
	out.Accounts = append(out.Accounts, e.Account)
	notes := []string{"every IAM principal of account " + e.Account + " can now authenticate, with its ARN as username and no groups; access entries cannot express this, so map principals one by one if you plan to migrate"}
	return out, notes, nil
}

// Apply implements Edit.
func (e AddSSO) Apply(doc *awsauth.Document) (*awsauth.Document, []string, error) {
	if err := checkAppend(e.Update, e.Append, e.Groups); err != nil {
		return nil, nil, err
	}
	s := &awsauth.SSOMapping{PermissionSetName: e.PermissionSet, AccountID: e.Account, Partition: e.Partition}
	if e.Username == "" && !e.Append {
		return nil, nil, fmt.Errorf("%w: --username is required for a permission set, e.g. --username '%s:{{SessionName}}'", ErrInvalidInput, strings.ToLower(e.PermissionSet))
	}
	m := awsauth.RoleMapping{SSO: s, Username: e.Username, Groups: slices.Clone(e.Groups)}
	for _, p := range awsauth.Validate(&awsauth.Document{Roles: []awsauth.RoleMapping{m}}).Errors() {
		if p.Code == awsauth.CodeSSOField {
			return nil, nil, fmt.Errorf("%w: %s", ErrInvalidInput, p.Message)
		}
	}
	if e.Username == "" {
		return nil, nil, fmt.Errorf("%w: --username is required for a permission set, e.g. --username '%s:{{SessionName}}'", ErrInvalidInput, strings.ToLower(e.PermissionSet))
	}
	out := clone(doc)
	for i, r := range out.Roles {
		if r.SSO == nil || !sameSSO(r.SSO, s) {
			continue
		}
		if e.Append {
			var err error
			if out.Roles[i], err = appendGroups(r, e.Username, e.Groups); err != nil {
				return nil, nil, err
			}
			return out, nil, nil
		}
		if !e.Update {
			return nil, nil, fmt.Errorf("%w: %s[%d] already maps permission set %s in account %s; pass --update to replace its username and groups, or --append to add groups", ErrExists, awsauth.KeyMapRoles, i, r.SSO.PermissionSetName, s.AccountID)
		}
		out.Roles[i] = m
		return out, nil, nil
	}
	out.Roles = append(out.Roles, m)
	return out, nil, nil
}

// Apply implements Edit.
func (e Remove) Apply(doc *awsauth.Document) (*awsauth.Document, []string, error) {
	out := clone(doc)
	removed := 0
	switch {
	case e.PermissionSet != "":
		s := &awsauth.SSOMapping{PermissionSetName: e.PermissionSet, AccountID: e.Account}
		out.Roles = slices.DeleteFunc(out.Roles, func(r awsauth.RoleMapping) bool {
			hit := r.SSO != nil && sameSSO(r.SSO, s) && e.userMatch(r.Username)
			removed += count(hit)
			return hit
		})
	case arn.ValidAccount(e.ARN):
		out.Accounts = slices.DeleteFunc(out.Accounts, func(a string) bool {
			removed += count(a == e.ARN)
			return a == e.ARN
		})
	case e.ARN != "":
		out.Roles = slices.DeleteFunc(out.Roles, func(r awsauth.RoleMapping) bool {
			hit := r.SSO == nil && sameARN(r.RoleARN, e.ARN) && e.userMatch(r.Username)
			removed += count(hit)
			return hit
		})
		out.Users = slices.DeleteFunc(out.Users, func(u awsauth.UserMapping) bool {
			hit := sameARN(u.UserARN, e.ARN) && e.userMatch(u.Username)
			removed += count(hit)
			return hit
		})
	case e.Username != "":
		out.Roles = slices.DeleteFunc(out.Roles, func(r awsauth.RoleMapping) bool {
			removed += count(r.Username == e.Username)
			return r.Username == e.Username
		})
		out.Users = slices.DeleteFunc(out.Users, func(u awsauth.UserMapping) bool {
			removed += count(u.Username == e.Username)
			return u.Username == e.Username
		})
	default:
		return nil, nil, fmt.Errorf("%w: say what to remove: --arn ARN, --arn ACCOUNT_ID, --permission-set NAME --account ID, or --username NAME", ErrInvalidInput)
	}
	if removed == 0 {
		what := e.ARN
		if what == "" {
			what = "any principal"
		}
		if e.PermissionSet != "" {
			what = "permission set " + e.PermissionSet + " in account " + e.Account
		}
		if e.Username != "" {
			what += " with username " + e.Username
		}
		return nil, nil, fmt.Errorf("%w: no entry maps %s; \"kubeiam aws-auth get\" lists the entries", ErrNotFound, what)
	}
	return out, []string{fmt.Sprintf("removed %d %s", removed, plural(removed, "entry", "entries"))}, nil
}

func (e Remove) userMatch(u string) bool { return e.Username == "" || u == e.Username }

// sameARN reports whether two ARNs name the same principal, as the
// authenticator matches them; ARNs that do not parse compare as written,
// so that a broken entry can still be removed.
func sameARN(a, b string) bool {
	ka, errA := arn.Key(a)
	kb, errB := arn.Key(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ka == kb
}

func sameSSO(a, b *awsauth.SSOMapping) bool {
	pa, pb := a.Partition, b.Partition
	if pa == "" {
		pa = "aws"
	}
	if pb == "" {
		pb = "aws"
	}
	return pa == pb && a.AccountID == b.AccountID && strings.EqualFold(a.PermissionSetName, b.PermissionSetName)
}

// ssoSet returns the permission set of an IAM Identity Center role name,
// AWSReservedSSO_SET_<16 hex digits>.
func ssoSet(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "AWSReservedSSO_")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// clone returns a deep copy of doc, so that an edit never changes its input.
func clone(doc *awsauth.Document) *awsauth.Document {
	out := &awsauth.Document{Accounts: slices.Clone(doc.Accounts)}
	for _, r := range doc.Roles {
		r.Groups = slices.Clone(r.Groups)
		if r.SSO != nil {
			s := *r.SSO
			r.SSO = &s
		}
		out.Roles = append(out.Roles, r)
	}
	for _, u := range doc.Users {
		u.Groups = slices.Clone(u.Groups)
		out.Users = append(out.Users, u)
	}
	if doc.Other != nil {
		out.Other = make(map[string]string, len(doc.Other))
		for k, v := range doc.Other {
			out.Other[k] = v
		}
	}
	return out
}

package review

import (
	"github.com/kubeiam/kubeiam/internal/authz"
)

// Kind says what a principal pattern covers.
type Kind string

// The principal kinds.
const (
	// KindRole is an IAM role and every session of it.
	KindRole Kind = "role"
	// KindUser is an IAM user (or the account root, or a federated user).
	KindUser Kind = "user"
	// KindPermissionSet is every role IAM Identity Center creates in one
	// account for a permission set (AWSReservedSSO_SET_*), and their sessions.
	KindPermissionSet Kind = "permissionSet"
	// KindAccount is every principal of an account (mapAccounts).
	KindAccount Kind = "account"
)

// Source is the mapping that lets the principal in.
type Source string

// The mapping sources, in the words the decision log uses.
const (
	SourceCreator     Source = "creator"
	SourceAccessEntry Source = "accessEntry"
	SourceMapRoles    Source = "mapRoles"
	SourceMapUsers    Source = "mapUsers"
	SourceMapAccounts Source = "mapAccounts"
)

// Principal is an IAM principal or pattern the cluster maps, and what it
// maps to.
type Principal struct {
	// Principal is the canonical ARN, the ARN pattern of a permission set
	// (arn:aws:iam::ACCOUNT:role/AWSReservedSSO_SET_*), or the account ID.
	Principal string `json:"principal"`
	Kind      Kind   `json:"kind"`
	Source    Source `json:"source"`
	// Mapping says which entry: "access entry ARN", "mapRoles[2]",
	// "implicit cluster creator".
	Mapping string `json:"mapping"`
	// Creator is set for the cluster creator's implicit mapping and for
	// its bootstrapped access entry.
	Creator bool `json:"creator,omitempty"`
	// Username and Groups may hold templates ({{SessionName}}); for a
	// whole account the username is each caller's ARN ({{CallerARN}}).
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
	// Policies are the access policies of an access entry.
	Policies []Policy `json:"policies,omitempty"`
	// Notes say what the pattern leaves out (principals with a mapping of
	// their own) or what it depends on.
	Notes []string `json:"notes,omitempty"`

	grants []authz.Grant
}

// Policy is an access policy associated with an access entry.
type Policy struct {
	PolicyARN string `json:"policyArn"`
	Scope     string `json:"scope"`
}

// callerARNTemplate stands for the username mapAccounts gives: the
// caller's canonical ARN.
const callerARNTemplate = "{{CallerARN}}"

package awsauth

// The ConfigMap data keys kubeiam interprets. They are matched exactly, as
// aws-iam-authenticator does: "maproles" is an unknown key, not mapRoles.
const (
	KeyMapRoles    = "mapRoles"
	KeyMapUsers    = "mapUsers"
	KeyMapAccounts = "mapAccounts"
)

// Document is the content of the aws-auth ConfigMap.
//
// Entries are kept in ConfigMap order, invalid ones included, so that an
// entry index in a Problem or Match is the position in the YAML list.
type Document struct {
	// Roles are the mapRoles entries.
	Roles []RoleMapping
	// Users are the mapUsers entries.
	Users []UserMapping
	// Accounts are the mapAccounts entries: 12-digit account IDs whose every
	// principal may authenticate, with its ARN as username and no groups.
	Accounts []string
	// Other holds the data keys kubeiam does not interpret, unchanged, so that
	// rendering the document back does not drop them.
	Other map[string]string
}

// RoleMapping maps an IAM role, or every role of an IAM Identity Center
// permission set, to a Kubernetes username and groups. Exactly one of RoleARN
// and SSO is set.
type RoleMapping struct {
	// RoleARN is the role's ARN as written in the ConfigMap.
	RoleARN string
	// UserID, optional, is the role's IAM unique ID ("AROA..."): the entry
	// then maps only the role with that ID, not one deleted and recreated
	// with the same name, as an access entry does. Off unless written
	// (aws-iam-authenticator's userid field).
	UserID string
	// SSO matches the roles IAM Identity Center creates for a permission set.
	SSO *SSOMapping
	// Username is a username template (see Expand).
	Username string
	// Groups are group templates.
	Groups []string
}

// SSOMapping matches the role IAM Identity Center creates in an account for a
// permission set: AWSReservedSSO_<PermissionSetName>_<16 hex digits>, whose
// random suffix differs per account and changes when the set is re-provisioned.
type SSOMapping struct {
	// PermissionSetName is the permission set's name, matched case-insensitively.
	PermissionSetName string
	// AccountID is the 12-digit account the role lives in.
	AccountID string
	// Partition is the AWS partition, "aws" when empty (as upstream).
	Partition string
}

// UserMapping maps an IAM user (or an account root) to a Kubernetes username
// and groups.
type UserMapping struct {
	// UserARN is the user's ARN as written in the ConfigMap.
	UserARN string
	// UserID, optional, is the user's IAM unique ID ("AIDA..."): the entry
	// then maps only the user with that ID (see RoleMapping.UserID).
	UserID string
	// Username is a username template (see Expand).
	Username string
	// Groups are group templates.
	Groups []string
}

// partition returns the SSO mapping's partition with the upstream default.
func (s *SSOMapping) partition() string {
	if s.Partition == "" {
		return "aws"
	}
	return s.Partition
}

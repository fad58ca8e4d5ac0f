package awsauth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// ssoRolePrefix begins the name of every role IAM Identity Center creates for
// a permission set: AWSReservedSSO_<PermissionSetName>_<16 hex digits>.
const ssoRolePrefix = "AWSReservedSSO_"

// ssoSuffixLen is the length of the random hex suffix of those role names.
const ssoSuffixLen = 16

// ssoPermissionSet returns the permission set name of an IAM Identity Center
// role name, or false when name is not one. Permission set names may contain
// underscores, so the suffix is what follows the last one.
//
// The role's path (/aws-reserved/sso.amazonaws.com/...) cannot be checked:
// an assumed-role ARN does not carry it. A role of that name created by hand
// in the account would match too; only someone who can already create roles
// in that account could do so, and aws-iam-authenticator has the same limit.
func ssoPermissionSet(name string) (string, bool) {
	if len(name) <= len(ssoRolePrefix) || !strings.EqualFold(name[:len(ssoRolePrefix)], ssoRolePrefix) {
		return "", false
	}
	rest := name[len(ssoRolePrefix):]
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 || len(rest)-i-1 != ssoSuffixLen || !isHex(rest[i+1:]) {
		return "", false
	}
	return rest[:i], true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ssoKey is the index key of a permission set in an account.
func ssoKey(partition, account, permissionSet string) string {
	return partition + ":" + account + ":" + strings.ToLower(permissionSet)
}

// checkSSO validates an sso mapping and returns its problems' messages.
func checkSSO(s *SSOMapping) []string {
	var msgs []string
	switch {
	case s.PermissionSetName == "":
		msgs = append(msgs, "sso.permissionSetName is missing")
	case !validPermissionSetName(s.PermissionSetName):
		msgs = append(msgs, fmt.Sprintf("sso.permissionSetName %q is not a permission set name (1 to 32 of letters, digits and +=,.@_-)", s.PermissionSetName))
	}
	switch {
	case s.AccountID == "":
		msgs = append(msgs, "sso.accountID is missing")
	case !arn.ValidAccount(s.AccountID):
		msgs = append(msgs, fmt.Sprintf("sso.accountID %q is not a 12-digit account ID", s.AccountID))
	}
	if s.Partition != "" && !slices.Contains(arn.Partitions(), s.Partition) {
		msgs = append(msgs, fmt.Sprintf("sso.partition %q is not a known partition (known: %s)", s.Partition, strings.Join(arn.Partitions(), ", ")))
	}
	return msgs
}

// validPermissionSetName checks the IAM Identity Center rule: 1 to 32
// characters of [\w+=,.@-].
func validPermissionSetName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

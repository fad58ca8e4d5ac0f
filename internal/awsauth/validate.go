package awsauth

import (
	"fmt"
	"strings"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// Validate checks a document built in code (by an API handler, say) with the
// rules Parse applies. Its problems carry no line numbers. As with Parse, a
// document with any Error must not be applied or written.
func Validate(d *Document) Problems { return validate(d, nil) }

func validate(d *Document, ln *lines) Problems {
	var ps Problems
	firstRole := map[string]int{}
	for i, r := range d.Roles {
		el := ln.role(i)
		ps = append(ps, validateRole(i, r, el)...)
		if k, _, ok := roleKey(r); ok {
			if first, dup := firstRole[k]; dup {
				ps = append(ps, duplicate(KeyMapRoles, i, el.entry, first, "role or permission set"))
			} else {
				firstRole[k] = i
			}
		}
	}
	firstUser := map[string]int{}
	for i, u := range d.Users {
		el := ln.user(i)
		ps = append(ps, validateUser(i, u, el)...)
		if k, ok := userKey(u); ok {
			if first, dup := firstUser[k]; dup {
				ps = append(ps, duplicate(KeyMapUsers, i, el.entry, first, "user"))
			} else {
				firstUser[k] = i
			}
		}
	}
	firstAccount := map[string]int{}
	for i, a := range d.Accounts {
		line := ln.account(i)
		if !arn.ValidAccount(a) {
			ps = append(ps, problem(KeyMapAccounts, i, line, Error, CodeInvalidAccount, "%q is not a 12-digit account ID", a))
			continue
		}
		if first, dup := firstAccount[a]; dup {
			ps = append(ps, duplicate(KeyMapAccounts, i, line, first, "account"))
		} else {
			firstAccount[a] = i
		}
	}
	return ps
}

func problem(key string, index, line int, sev Severity, code Code, format string, args ...any) Problem {
	return Problem{Key: key, Index: index, Line: line, Severity: sev, Code: code, Message: fmt.Sprintf(format, args...)}
}

func duplicate(key string, index, line, first int, what string) Problem {
	return problem(key, index, line, Warning, CodeDuplicate,
		"same %s as entry %d; the first entry wins and this one is ignored", what, first)
}

// roleKey returns the index key of a valid role entry and whether the entry
// matches through a path or a permission set rather than its exact ARN.
func roleKey(r RoleMapping) (key string, viaPath, ok bool) {
	if r.RoleARN != "" && r.SSO == nil {
		p, err := arn.Parse(r.RoleARN)
		if err != nil || p.Kind != arn.KindRole {
			return "", false, false
		}
		return sameString(p.Key(), r.RoleARN), p.HasPath(), true
	}
	if r.RoleARN == "" && r.SSO != nil && len(checkSSO(r.SSO)) == 0 {
		return "sso:" + ssoKey(r.SSO.partition(), r.SSO.AccountID, r.SSO.PermissionSetName), true, true
	}
	return "", false, false
}

// userKey returns the index key of a valid user entry.
func userKey(u UserMapping) (string, bool) {
	p, err := arn.Parse(u.UserARN)
	if err != nil || !userKind(p.Kind) {
		return "", false
	}
	return sameString(p.Key(), u.UserARN), true
}

// userKind reports whether mapUsers may name a principal of kind k: an IAM
// user, the account root or a federated user, all matched by exact ARN.
func userKind(k arn.Kind) bool {
	return k == arn.KindUser || k == arn.KindRoot || k == arn.KindFederatedUser
}

func validateRole(i int, r RoleMapping, el entryLines) Problems {
	var ps Problems
	switch {
	case r.RoleARN == "" && r.SSO == nil:
		ps = append(ps, problem(KeyMapRoles, i, el.entry, Error, CodeMissingARN, "entry has neither rolearn nor sso; set one"))
	case r.RoleARN != "" && r.SSO != nil:
		ps = append(ps, problem(KeyMapRoles, i, el.or(el.sso), Error, CodeARNAndSSO, "entry has both rolearn and sso; keep one"))
	case r.RoleARN != "":
		ps = append(ps, checkRoleARN(i, r.RoleARN, el.or(el.arn))...)
	default:
		for _, msg := range checkSSO(r.SSO) {
			ps = append(ps, problem(KeyMapRoles, i, el.or(el.sso), Error, CodeSSOField, "%s", msg))
		}
	}
	ps = append(ps, checkUsername(KeyMapRoles, i, r.Username, el, false)...)
	return append(ps, checkGroups(KeyMapRoles, i, r.Groups, el, false)...)
}

func checkRoleARN(i int, s string, line int) Problems {
	p, err := arn.Parse(s)
	if err != nil {
		return Problems{problem(KeyMapRoles, i, line, Error, CodeInvalidARN, "rolearn: %v", err)}
	}
	switch p.Kind {
	case arn.KindRole:
		if !p.HasPath() {
			return nil
		}
		msg := fmt.Sprintf("matches role %s regardless of path; EKS's authenticator required the path to be removed: write %s", p.Name, p.Canonical())
		if set, ok := ssoPermissionSet(p.Name); ok && p.IsSSORole() {
			msg += fmt.Sprintf(", or match the permission set in any of its roles with sso: {permissionSetName: %s, accountID: %q}", set, p.Account)
		}
		return Problems{problem(KeyMapRoles, i, line, Warning, CodeRolePath, "%s", msg)}
	case arn.KindAssumedRole:
		return Problems{problem(KeyMapRoles, i, line, Error, CodeAssumedRoleARN,
			"rolearn %s is an STS session ARN, which names one session of the role; map the role itself: rolearn: %s", s, p.Canonical())}
	}
	return Problems{problem(KeyMapRoles, i, line, Error, CodeWrongSection,
		"rolearn %s names a %s, not a role; map it in mapUsers with userarn", s, p.Kind)}
}

func validateUser(i int, u UserMapping, el entryLines) Problems {
	var ps Problems
	line := el.or(el.arn)
	if u.UserARN == "" {
		ps = append(ps, problem(KeyMapUsers, i, line, Error, CodeMissingARN, "userarn is missing"))
	} else if p, err := arn.Parse(u.UserARN); err != nil {
		ps = append(ps, problem(KeyMapUsers, i, line, Error, CodeInvalidARN, "userarn: %v", err))
	} else if p.Kind == arn.KindAssumedRole {
		ps = append(ps, problem(KeyMapUsers, i, line, Error, CodeWrongSection,
			"userarn %s is a role session; map its role in mapRoles: rolearn: %s", u.UserARN, p.Canonical()))
	} else if !userKind(p.Kind) {
		ps = append(ps, problem(KeyMapUsers, i, line, Error, CodeWrongSection,
			"userarn %s names a %s, not a user; map it in mapRoles with rolearn", u.UserARN, p.Kind))
	}
	ps = append(ps, checkUsername(KeyMapUsers, i, u.Username, el, true)...)
	return append(ps, checkGroups(KeyMapUsers, i, u.Groups, el, true)...)
}

func checkUsername(key string, i int, u string, el entryLines, isUser bool) Problems {
	line := el.or(el.username)
	if strings.TrimSpace(u) == "" {
		return Problems{problem(key, i, line, Error, CodeMissingUsername, "username is missing or empty")}
	}
	if err := checkTemplate(u); err != nil {
		return Problems{problem(key, i, line, Error, CodeUnknownTemplate, "username %q: %v", u, err)}
	}
	if why := reservedUsername(u); why != "" {
		return Problems{problem(key, i, line, Error, CodeReservedUsername, "username %q is refused: %s", u, why)}
	}
	if why := reservedUsernameTemplate(u); why != "" {
		// A warning, not an error: every login that would expand into a
		// reserved username is refused (Match.Expand), and the entry keeps
		// working for the other sessions, as it did before this check.
		return Problems{problem(key, i, line, Warning, CodeReservedTemplate, "username %q: logins it would expand into a reserved name are refused: %s", u, why)}
	}
	if isUser && usesSession(u) {
		return Problems{sessionOnUser(key, i, line, "username", u)}
	}
	return nil
}

func checkGroups(key string, i int, groups []string, el entryLines, isUser bool) Problems {
	var ps Problems
	for j, g := range groups {
		line := el.group(j)
		switch {
		case strings.TrimSpace(g) == "":
			ps = append(ps, problem(key, i, line, Error, CodeEmptyGroup, "group %d is empty", j))
		case checkTemplate(g) != nil:
			ps = append(ps, problem(key, i, line, Error, CodeUnknownTemplate, "group %q: %v", g, checkTemplate(g)))
		case reservedGroupTemplate(g) != "":
			ps = append(ps, problem(key, i, line, Error, CodeReservedTemplate, "group %q is refused: %s", g, reservedGroupTemplate(g)))
		case isUser && usesSession(g):
			ps = append(ps, sessionOnUser(key, i, line, "group", g))
		}
	}
	return ps
}

// usesSession reports whether s uses a variable that only a role session
// has: its session name, or the EC2 instance ID that is the session name.
func usesSession(s string) bool {
	return UsesTemplate(s, VarSessionName) || UsesTemplate(s, VarSessionNameRaw) || UsesTemplate(s, VarEC2PrivateDNSName)
}

func sessionOnUser(key string, i, line int, what, s string) Problem {
	return problem(key, i, line, Warning, CodeSessionOnUser,
		"%s %q uses a session variable, but IAM users have no session: authentication through this entry will always fail", what, s)
}

// nodePrefix is the username prefix of kubelets, the one system: form a
// mapping may produce: nodes join with system:node:{{EC2PrivateDNSName}}
// (or {{SessionName}} on Fargate).
const nodePrefix = "system:node:"

// reservedUsername returns why the username is refused, or "" when it is
// allowed. Prefixes are compared case-insensitively, to fail closed.
func reservedUsername(u string) string {
	if rest, ok := strings.CutPrefix(u, nodePrefix); ok && rest != "" && !strings.Contains(rest, ":") {
		return ""
	}
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "system:") {
		return "system: usernames belong to Kubernetes components, and mapping an IAM principal to one (system:kube-controller-manager, say) would grant that component's privileges; only system:node:NAME is allowed, for nodes"
	}
	for _, p := range []string{"aws:", "amazon:", "eks:", "iam:"} {
		if strings.HasPrefix(lower, p) {
			return "the " + p + " prefix is reserved for AWS and EKS, which refuse it too"
		}
	}
	return ""
}

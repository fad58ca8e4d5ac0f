package awsauth

import (
	"fmt"
	"slices"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Field names of entries, lowercased: they match case-insensitively.
const (
	fieldRoleARN           = "rolearn"
	fieldUserARN           = "userarn"
	fieldUsername          = "username"
	fieldUserID            = "userid"
	fieldGroups            = "groups"
	fieldSSO               = "sso"
	fieldPermissionSetName = "permissionsetname"
	fieldAccountID         = "accountid"
	fieldPartition         = "partition"
)

// parseRoles reads mapRoles: with the quick parser when the value is in its
// form, else with the YAML library. A nil interner turns the quick parser off.
func parseRoles(value string, ps *Problems, in interner) ([]RoleMapping, []entryLines, error) {
	if in == nil {
		return yamlRoles(value, ps)
	}
	n := quickCount(value)
	roles := make([]RoleMapping, 0, n)
	lns := make([]entryLines, 0, n)
	ok := quickEntries(value, fieldRoleARN, in, func(e quickEntry) {
		roles = append(roles, RoleMapping{RoleARN: e.arn, UserID: e.userID, SSO: e.sso, Username: e.username, Groups: e.groups})
		lns = append(lns, e.ln)
	})
	if ok {
		return slices.Clip(roles), slices.Clip(lns), nil
	}
	return yamlRoles(value, ps)
}

// parseUsers reads mapUsers as parseRoles reads mapRoles.
func parseUsers(value string, ps *Problems, in interner) ([]UserMapping, []entryLines, error) {
	if in == nil {
		return yamlUsers(value, ps)
	}
	n := quickCount(value)
	users := make([]UserMapping, 0, n)
	lns := make([]entryLines, 0, n)
	ok := quickEntries(value, fieldUserARN, in, func(e quickEntry) {
		users = append(users, UserMapping{UserARN: e.arn, UserID: e.userID, Username: e.username, Groups: e.groups})
		lns = append(lns, e.ln)
	})
	if ok {
		return slices.Clip(users), slices.Clip(lns), nil
	}
	return yamlUsers(value, ps)
}

// parseAccounts reads mapAccounts as parseRoles reads mapRoles.
func parseAccounts(value string, ps *Problems, quick bool) ([]string, []int, error) {
	if !quick {
		return yamlAccounts(value, ps)
	}
	if accounts, lns, ok := quickAccounts(value); ok {
		return accounts, lns, nil
	}
	return yamlAccounts(value, ps)
}

// yamlRoles reads mapRoles with the YAML library: any form, every error.
func yamlRoles(value string, ps *Problems) ([]RoleMapping, []entryLines, error) {
	nodes, err := parseList(KeyMapRoles, value)
	if err != nil {
		return nil, nil, err
	}
	roles := make([]RoleMapping, 0, len(nodes))
	lns := make([]entryLines, 0, len(nodes))
	for i, n := range nodes {
		what := fmt.Sprintf("entry %d", i)
		fs, err := fields(KeyMapRoles, what, n)
		if err != nil {
			return nil, nil, err
		}
		var r RoleMapping
		ln := entryLines{entry: deref(n).Line}
		for _, f := range fs {
			switch f.name {
			case fieldRoleARN:
				r.RoleARN, err = str(KeyMapRoles, what, f)
				ln.arn = f.key.Line
			case fieldUsername:
				r.Username, err = str(KeyMapRoles, what, f)
				ln.username = f.key.Line
			case fieldUserID:
				r.UserID, err = str(KeyMapRoles, what, f)
			case fieldGroups:
				r.Groups, ln.groups, err = strList(KeyMapRoles, what, f)
			case fieldSSO:
				r.SSO, err = parseSSO(i, what, f, ps)
				ln.sso = f.key.Line
			default:
				*ps = append(*ps, unknownField(KeyMapRoles, i, what, f))
			}
			if err != nil {
				return nil, nil, err
			}
		}
		roles = append(roles, r)
		lns = append(lns, ln)
	}
	return roles, lns, nil
}

// parseSSO reads the sso field of a mapRoles entry. A null sso is absent.
func parseSSO(index int, what string, f field, ps *Problems) (*SSOMapping, error) {
	if isNull(deref(f.value)) {
		return nil, nil
	}
	what += ": sso"
	fs, err := fields(KeyMapRoles, what, f.value)
	if err != nil {
		return nil, err
	}
	s := &SSOMapping{}
	for _, sf := range fs {
		switch sf.name {
		case fieldPermissionSetName:
			s.PermissionSetName, err = str(KeyMapRoles, what, sf)
		case fieldAccountID:
			s.AccountID, err = accountScalar(KeyMapRoles, index, what, sf.value, ps)
		case fieldPartition:
			s.Partition, err = str(KeyMapRoles, what, sf)
		default:
			*ps = append(*ps, unknownField(KeyMapRoles, index, what, sf))
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// yamlUsers reads mapUsers with the YAML library.
func yamlUsers(value string, ps *Problems) ([]UserMapping, []entryLines, error) {
	nodes, err := parseList(KeyMapUsers, value)
	if err != nil {
		return nil, nil, err
	}
	users := make([]UserMapping, 0, len(nodes))
	lns := make([]entryLines, 0, len(nodes))
	for i, n := range nodes {
		what := fmt.Sprintf("entry %d", i)
		fs, err := fields(KeyMapUsers, what, n)
		if err != nil {
			return nil, nil, err
		}
		var u UserMapping
		ln := entryLines{entry: deref(n).Line}
		for _, f := range fs {
			switch f.name {
			case fieldUserARN:
				u.UserARN, err = str(KeyMapUsers, what, f)
				ln.arn = f.key.Line
			case fieldUsername:
				u.Username, err = str(KeyMapUsers, what, f)
				ln.username = f.key.Line
			case fieldUserID:
				u.UserID, err = str(KeyMapUsers, what, f)
			case fieldGroups:
				u.Groups, ln.groups, err = strList(KeyMapUsers, what, f)
			default:
				*ps = append(*ps, unknownField(KeyMapUsers, i, what, f))
			}
			if err != nil {
				return nil, nil, err
			}
		}
		users = append(users, u)
		lns = append(lns, ln)
	}
	return users, lns, nil
}

// yamlAccounts reads mapAccounts with the YAML library.
func yamlAccounts(value string, ps *Problems) ([]string, []int, error) {
	nodes, err := parseList(KeyMapAccounts, value)
	if err != nil {
		return nil, nil, err
	}
	accounts := make([]string, 0, len(nodes))
	lns := make([]int, 0, len(nodes))
	for i, n := range nodes {
		a, err := accountScalar(KeyMapAccounts, i, fmt.Sprintf("entry %d", i), n, ps)
		if err != nil {
			return nil, nil, err
		}
		accounts = append(accounts, a)
		lns = append(lns, deref(n).Line)
	}
	return accounts, lns, nil
}

// accountScalar reads an account ID. Unquoted, 111122223333 is a YAML
// integer; that is harmless, and its text is kept. But 012345678901 is a
// YAML number too, and readers that decode it (aws-iam-authenticator among
// them) drop the leading zero and see another account, so kubeiam refuses
// it rather than guess which one the operator meant.
func accountScalar(key string, index int, what string, n *yaml.Node, ps *Problems) (string, error) {
	v := deref(n)
	if isNull(v) {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", &ParseError{Key: key, Line: v.Line, Msg: fmt.Sprintf("%s: account ID must be a string, got %s", what, describe(v))}
	}
	tag := v.ShortTag()
	quoted := v.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0
	if !quoted && (tag == "!!int" || tag == "!!float") && len(v.Value) > 1 && v.Value[0] == '0' && allDigits(v.Value) {
		*ps = append(*ps, Problem{Key: key, Index: index, Line: v.Line, Severity: Error, Code: CodeAccountNumber,
			Message: fmt.Sprintf("%s: unquoted account ID %s is a YAML number, which loses the leading zero (aws-iam-authenticator would read another account); quote it: \"%s\"", what, v.Value, v.Value)})
	}
	return v.Value, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

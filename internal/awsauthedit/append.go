package awsauthedit

import (
	"fmt"
	"slices"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// checkAppend refuses the combinations of --append that cannot mean one
// thing: with --update (replace or add?) and without groups (add what?).
func checkAppend(update, appendGroups bool, groups []string) error {
	switch {
	case update && appendGroups:
		return fmt.Errorf("%w: --update replaces the groups and --append adds to them; pass one", ErrInvalidInput)
	case appendGroups && len(groups) == 0:
		return fmt.Errorf("%w: --append adds --groups to the existing entry; pass the groups to add", ErrInvalidInput)
	}
	return nil
}

// appendGroups adds groups to m's, in order and without duplicates. A
// username other than m's is refused: --append keeps the username, --update
// changes it.
func appendGroups(m awsauth.RoleMapping, username string, groups []string) (awsauth.RoleMapping, error) {
	if username != "" && username != m.Username {
		return m, fmt.Errorf("%w: --append keeps the entry's username %q; to change it to %q, pass --update with every group", ErrInvalidInput, m.Username, username)
	}
	out := m
	out.Groups = slices.Clone(m.Groups)
	for _, g := range groups {
		if !slices.Contains(out.Groups, g) {
			out.Groups = append(out.Groups, g)
		}
	}
	return out, nil
}

package explain

import (
	"fmt"
	"slices"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// CodePrincipalRecreated: the caller's ARN has an access entry, but it was
// created for a principal of the same ARN that has since been deleted and
// recreated: its unique ID is not the caller's. EKS binds an entry to the
// unique ID and requires the entry to be recreated (EKS API reference,
// AccessEntry, principalArn); so does kubeiam.
const CodePrincipalRecreated = Code(resolve.CodePrincipalRecreated)

// ActionRecreateAccessEntry deletes the principal's access entry and creates
// it again, with the same username, groups and type (and PolicyARN
// associated again), so that it records the principal's current unique ID.
const ActionRecreateAccessEntry ActionKind = "recreate-access-entry"

// entryRecreated reports whether the caller's access entry is bound to
// another principal of the same ARN.
func (e *explainer) entryRecreated() bool {
	return e.hasEntry && e.entry.PrincipalID != "" && e.id.UserID != "" && resolve.PrincipalID(e.id) != e.entry.PrincipalID
}

// recreatedFinding records the stale entry as a cause when it matters: when
// nothing else maps the caller.
func (e *explainer) recreatedFinding() {
	if !e.entryRecreated() || !e.s.UseAccessEntries {
		return
	}
	sev := SeverityWarning
	if !e.res.Mapped {
		sev = SeverityError
		e.causes = append([]Code{CodePrincipalRecreated}, e.causes...)
	}
	e.add(CodePrincipalRecreated, sev,
		"access entry %s was created for the IAM principal with unique ID %s, but yours is %s: the principal was deleted and recreated with the same ARN since, and an access entry never carries over to a recreated principal; recreate the access entry",
		e.entry.PrincipalARN, e.entry.PrincipalID, resolve.PrincipalID(e.id))
}

// recreateFix recreates the stale entry as it was, and associates its
// access policies again: deleting an entry deletes its associations.
func (e *explainer) recreateFix() {
	en := e.entry
	a := Action{Kind: ActionRecreateAccessEntry, PrincipalARN: en.PrincipalARN}
	if en.Type != "" && en.Type != string(access.EntryStandard) {
		a.Type = en.Type
	} else {
		a.Groups = slices.Clone(en.Groups)
		if p, err := arn.Parse(en.PrincipalARN); err == nil && en.Username != defaultUsername(p) {
			a.Username = en.Username
		}
	}
	if len(en.Grants) > 0 {
		g := en.Grants[0]
		a.PolicyARN, a.ScopeType, a.Namespaces = g.PolicyARN, string(g.Scope.Type), slices.Clone(g.Scope.Namespaces)
	}
	e.fix(Fix{Fixes: CodePrincipalRecreated, Summary: "delete the access entry of " + en.PrincipalARN +
		" and create it again, so that it is bound to the principal that exists now", Action: a})
	for _, g := range en.Grants[min(1, len(en.Grants)):] {
		e.fix(Fix{Fixes: CodePrincipalRecreated, Summary: "associate " + policyName(g.PolicyARN) + " again",
			Action: Action{Kind: ActionAssociatePolicy, PrincipalARN: en.PrincipalARN, PolicyARN: g.PolicyARN,
				ScopeType: string(g.Scope.Type), Namespaces: slices.Clone(g.Scope.Namespaces)}})
	}
}

// renderRecreate fills the commands of ActionRecreateAccessEntry: a delete,
// then the create (and association) of ActionCreateAccessEntry.
func (c commands) renderRecreate(f Fix) Fix {
	a := f.Action
	create := f
	create.Action.Kind = ActionCreateAccessEntry
	create = c.render(create)
	f.Kubeiam = shellJoin([]string{"kubeiam", "access-entry", "delete", "--principal-arn", a.PrincipalARN}) + " && " + create.Kubeiam
	f.AWS = c.aws([]string{"aws", "eks", "delete-access-entry", "--cluster-name", c.cluster, "--principal-arn", a.PrincipalARN}) + " && " + create.AWS
	if create.Eksctl != "" {
		f.Eksctl = shellJoin([]string{"eksctl", "delete", "accessentry", "--cluster", c.cluster, "--principal-arn", a.PrincipalARN}) + " && " + create.Eksctl
	}
	return f
}

// applyRecreate deletes the principal's entry and its associations, then
// creates it again as ActionCreateAccessEntry does, with the action's type.
func applyRecreate(p Parts, a Action, now time.Time) (Parts, error) {
	i, err := findEntry(p, a.PrincipalARN)
	if err != nil {
		return p, err
	}
	key, _ := access.EntryKey(a.PrincipalARN)
	p.Entries = slices.Delete(p.Entries, i, i+1)
	p.Associations = slices.DeleteFunc(p.Associations, func(as access.AccessPolicyAssociation) bool {
		k, _ := access.EntryKey(as.PrincipalARN)
		return k == key
	})
	pr, err := arn.Parse(a.PrincipalARN)
	if err != nil {
		return p, err
	}
	e, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: a.PrincipalARN, Username: a.Username,
		KubernetesGroups: a.Groups, Type: access.EntryType(a.Type)}, applyCluster, applyRegion, pr.Account, now)
	if err != nil {
		return p, fmt.Errorf("recreate the access entry: %w", err)
	}
	p.Entries = append(p.Entries, e)
	if a.PolicyARN != "" {
		return associate(p, e, a, now)
	}
	return p, nil
}

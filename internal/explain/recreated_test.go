package explain

import (
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// EKS binds an access entry to the principal's unique ID: a role deleted and
// recreated with the same name does not inherit the entry (EKS API
// reference, AccessEntry, principalArn). explain names that cause, and its
// fix recreates the entry as it was, policies included.
func TestExplainRecreatedPrincipal(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/dev"
	e := entry(role, "dev:{{SessionName}}", "devs")
	e.PrincipalID = "AROAOLDROLEID00000001"
	parts := Parts{Mode: access.ModeAPI, CreatorARN: creatorARN, Entries: []access.AccessEntry{e},
		Associations: []access.AccessPolicyAssociation{assoc(role, authz.ViewPolicyARN, "dev")}}
	explainAs := func(t *testing.T, p Parts, userID string) Report {
		t.Helper()
		s, err := p.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		id, err := identity.FromARN("arn:aws:sts::111122223333:assumed-role/dev/alice", acct, userID, "ASIAEXAMPLE")
		if err != nil {
			t.Fatal(err)
		}
		return Explain(Input{Identity: &id, Snapshot: s, ClusterName: "demo", Request: getPods("dev")})
	}

	if r := explainAs(t, parts, "AROAOLDROLEID00000001:alice"); r.Code != CodeAllowedByPolicy {
		t.Fatalf("the original role: code %s, want %s (reason %q)", r.Code, CodeAllowedByPolicy, r.Reason)
	}
	r := explainAs(t, parts, "AROANEWROLEID00000002:alice")
	if r.Code != CodePrincipalRecreated || r.Verdict != VerdictNotMapped {
		t.Fatalf("the recreated role: code %s, verdict %s; want %s, %s (reason %q)", r.Code, r.Verdict, CodePrincipalRecreated, VerdictNotMapped, r.Reason)
	}
	if len(r.Fixes) != 1 || r.Fixes[0].Action.Kind != ActionRecreateAccessEntry {
		t.Fatalf("fixes = %+v, want one %s", r.Fixes, ActionRecreateAccessEntry)
	}
	f := r.Fixes[0]
	wantKubeiam := "kubeiam access-entry delete --principal-arn arn:aws:iam::111122223333:role/dev && " +
		"kubeiam access-entry create --principal-arn arn:aws:iam::111122223333:role/dev --username 'dev:{{SessionName}}' --kubernetes-groups devs && " +
		"kubeiam access-policy associate --principal-arn arn:aws:iam::111122223333:role/dev --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --scope namespace --namespaces dev"
	if f.Kubeiam != wantKubeiam {
		t.Errorf("kubeiam fix:\n got %s\nwant %s", f.Kubeiam, wantKubeiam)
	}
	for _, s := range r.Sources {
		if s.Source == "accessEntry" && s.Matched {
			t.Errorf("source accessEntry reported as matched: %+v", s)
		}
	}

	fixed, err := Apply(parts, f.Action, now)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if r := explainAs(t, fixed, "AROANEWROLEID00000002:alice"); r.Code != CodeAllowedByPolicy {
		t.Fatalf("after the fix: code %s, want %s (reason %q)", r.Code, CodeAllowedByPolicy, r.Reason)
	}
}

// An aws-auth entry bound with userid to a deleted role: explain names the
// recreated principal, and says to write the new unique ID.
func TestExplainAWSAuthUserIDOfARecreatedRole(t *testing.T) {
	parts := Parts{Mode: access.ModeConfigMap, AWSAuth: doc(t, `
- rolearn: arn:aws:iam::111122223333:role/dev
  userid: AROAOLDROLEID00000001
  username: dev
  groups: [devs]
`, "", "")}
	s, err := parts.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromARN("arn:aws:sts::111122223333:assumed-role/dev/alice", acct, "AROANEWROLEID00000002:alice", "")
	if err != nil {
		t.Fatal(err)
	}
	r := Explain(Input{Identity: &id, Snapshot: s})
	if r.Code != CodePrincipalRecreated || !strings.Contains(r.Reason, "write its new unique ID in userid") {
		t.Fatalf("code %s, reason %q; want %s and the userid to write", r.Code, r.Reason, CodePrincipalRecreated)
	}
}

package access

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authz"
)

func standardEntry(t *testing.T, principal string) AccessEntry {
	t.Helper()
	e, err := NewEntry(CreateEntryRequest{PrincipalARN: principal}, testCluster, testRegion, testAccount, t0)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestValidateAssociation(t *testing.T) {
	dev := standardEntry(t, "arn:aws:iam::111122223333:role/Dev")
	cnDev, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws-cn:iam::111122223333:role/Dev"}, testCluster, regionOf("aws-cn"), testAccount, t0)
	if err != nil {
		t.Fatal(err)
	}
	node, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Node", Type: EntryEC2Linux}, testCluster, testRegion, testAccount, t0)
	if err != nil {
		t.Fatal(err)
	}
	cluster := authz.Scope{Type: authz.ScopeCluster}
	tests := []struct {
		name   string
		entry  AccessEntry
		policy string
		scope  authz.Scope
		typ    ErrorType
		msg    string
	}{
		{"cluster scope", dev, authz.ClusterAdminPolicyARN, cluster, "", ""},
		{"namespace scope with pattern", dev, authz.EditPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev", "team-*"}}, "", ""},
		{"policy in the entry's partition", cnDev, "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", cluster, "", ""},
		{"unknown policy", dev, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSRootPolicy", cluster, ResourceNotFoundException,
			"The specified policyArn arn:aws:eks::aws:cluster-access-policy/AmazonEKSRootPolicy could not be found. You can view the available access policies with 'list-access-policies'."},
		{"IAM policy ARN", dev, "arn:aws:iam::aws:policy/AdministratorAccess", cluster, ResourceNotFoundException,
			"The specified policyArn arn:aws:iam::aws:policy/AdministratorAccess could not be found..."},
		{"policy in another partition", dev, "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", cluster, ResourceNotFoundException,
			"The specified policyArn arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy could not be found..."},
		{"cluster scope with namespaces", dev, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster, Namespaces: []string{"a"}}, InvalidParameterException,
			"The specified accessScope is invalid: a cluster scope takes no namespaces, got 1."},
		{"namespace scope without namespaces", dev, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace}, InvalidParameterException,
			"The specified accessScope is invalid: a namespace scope needs at least one namespace."},
		{"bad namespace", dev, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"Dev"}}, InvalidParameterException,
			"The specified accessScope is invalid: namespace \"Dev\"..."},
		{"unknown scope type", dev, authz.ViewPolicyARN, authz.Scope{Type: "account"}, InvalidParameterException,
			`The specified accessScope is invalid: unknown scope type "account".`},
		{"policy EKS does not publish", dev, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSSecretReaderPolicy", cluster, ResourceNotFoundException,
			"The specified policyArn arn:aws:eks::aws:cluster-access-policy/AmazonEKSSecretReaderPolicy could not be found: kubeiam does not implement it..."},
		{"node entry", node, authz.ViewPolicyARN, cluster, InvalidParameterException,
			`This operation can only be performed on Access Entries with a type of "STANDARD".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateAssociation(tt.entry, tt.policy, tt.scope)
			if tt.typ == "" {
				if err != nil {
					t.Fatalf("ValidateAssociation: %v", err)
				}
				return
			}
			wantError(t, err, tt.typ, tt.msg)
		})
	}
	if err := ValidateAssociation(dev, authz.ViewPolicyARN, authz.Scope{Type: "x"}); !errors.Is(err, authz.ErrInvalidScope) {
		t.Errorf("scope refusal must wrap authz.ErrInvalidScope: %v", err)
	}
}

func TestAssociateReplacesScope(t *testing.T) {
	dev := standardEntry(t, "arn:aws:iam::111122223333:role/Dev")
	ns := []string{"dev"}
	first, err := Associate(dev, nil, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeNamespace, Namespaces: ns}, t0)
	if err != nil {
		t.Fatal(err)
	}
	ns[0] = "prod"
	if first.Scope.Namespaces[0] != "dev" {
		t.Error("the association must not share the caller's namespace slice")
	}
	if first.PrincipalARN != dev.PrincipalARN || !first.AssociatedAt.Equal(t0) || !first.ModifiedAt.Equal(t0) {
		t.Errorf("first association = %+v", first)
	}
	other, err := Associate(dev, []AccessPolicyAssociation{first}, authz.EditPolicyARN, authz.Scope{Type: authz.ScopeCluster}, t0.Add(time.Minute))
	if err != nil || !other.AssociatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("another policy is a new association: %+v, %v", other, err)
	}
	later := t0.Add(time.Hour)
	again, err := Associate(dev, []AccessPolicyAssociation{other, first}, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster}, later)
	if err != nil {
		t.Fatal(err)
	}
	if !again.AssociatedAt.Equal(t0) || !again.ModifiedAt.Equal(later) || again.Scope.Type != authz.ScopeCluster || again.Scope.Namespaces != nil {
		t.Errorf("re-association = %+v, want the scope replaced, AssociatedAt kept and ModifiedAt bumped", again)
	}
	c := first.Clone()
	c.Scope.Namespaces[0] = "changed"
	if first.Scope.Namespaces[0] != "dev" {
		t.Error("Clone must copy the namespaces")
	}
	if _, err := Associate(dev, nil, "arn:aws:eks::aws:cluster-access-policy/Nope", authz.Scope{Type: authz.ScopeCluster}, t0); TypeOf(err) != ResourceNotFoundException {
		t.Errorf("Associate with an unknown policy = %v", err)
	}
}

func TestGrants(t *testing.T) {
	if Grants(nil) != nil {
		t.Error("no associations, no grants")
	}
	assocs := []AccessPolicyAssociation{
		{PolicyARN: authz.ViewPolicyARN, Scope: authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"a", "b-*"}}},
		{PolicyARN: authz.AdminPolicyARN, Scope: authz.Scope{Type: authz.ScopeCluster}},
	}
	got := Grants(assocs)
	want := []authz.Grant{
		{PolicyARN: authz.ViewPolicyARN, Scope: authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"a", "b-*"}}},
		{PolicyARN: authz.AdminPolicyARN, Scope: authz.Scope{Type: authz.ScopeCluster}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Grants = %+v, want %+v", got, want)
	}
	got[0].Scope.Namespaces[0] = "changed"
	if assocs[0].Scope.Namespaces[0] != "a" {
		t.Error("grants must not share the associations' slices")
	}
}

package access

import (
	"testing"

	"github.com/kubeiam/kubeiam/internal/authz"
)

// TestEntryTypeRules is one row per access entry type: whether it takes a
// custom username, Kubernetes groups, an IAM user, a principal of another
// account, and which access policies. EKS user guide, "Create access
// entries" (username/groups/account rules, the username table) and
// "Associate access policies with access entries" (policies for STANDARD),
// plus Auto Mode's AmazonEKSAutoNodePolicy on EC2 entries.
func TestEntryTypeRules(t *testing.T) {
	const (
		role      = "arn:aws:iam::111122223333:role/R"
		otherRole = "arn:aws:iam::444455556666:role/R"
		user      = "arn:aws:iam::111122223333:user/u"
	)
	tests := []struct {
		typ                                  EntryType
		username, groups, iamUser, otherAcct bool
		policies                             []string // the policies it takes, of View, Hybrid, ARC, AIOps, AutoNode
	}{
		{EntryStandard, true, true, true, true, []string{authz.ViewPolicyARN, authz.HybridPolicyARN, authz.ARCScalingPolicyARN, authz.AIOpsPolicyARN}},
		{EntryEC2Linux, false, false, false, false, nil},
		{EntryEC2Windows, false, false, false, false, nil},
		{EntryFargateLinux, false, false, false, false, nil},
		{EntryHybridLinux, false, false, false, false, nil},
		{EntryHyperPodLinux, false, false, false, false, nil},
		{EntryEC2, false, false, false, false, []string{authz.AutoNodePolicyARN}},
	}
	accepted := func(req CreateEntryRequest) (AccessEntry, bool) {
		e, err := NewEntry(req, testCluster, testRegion, testAccount, t0)
		if err != nil && TypeOf(err) != InvalidParameterException {
			t.Fatalf("%+v: %v, want nil or InvalidParameterException", req, err)
		}
		return e, err == nil
	}
	if len(tests) != len(EntryTypes()) {
		t.Fatalf("%d rows for %d entry types", len(tests), len(EntryTypes()))
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			if _, ok := accepted(CreateEntryRequest{PrincipalARN: role, Type: tt.typ, Username: "custom"}); ok != tt.username {
				t.Errorf("custom username accepted = %v, want %v", ok, tt.username)
			}
			if _, ok := accepted(CreateEntryRequest{PrincipalARN: role, Type: tt.typ, KubernetesGroups: []string{"devs"}}); ok != tt.groups {
				t.Errorf("groups accepted = %v, want %v", ok, tt.groups)
			}
			if _, ok := accepted(CreateEntryRequest{PrincipalARN: user, Type: tt.typ}); ok != tt.iamUser {
				t.Errorf("IAM user accepted = %v, want %v", ok, tt.iamUser)
			}
			if _, ok := accepted(CreateEntryRequest{PrincipalARN: otherRole, Type: tt.typ}); ok != tt.otherAcct {
				t.Errorf("role of another account accepted = %v, want %v", ok, tt.otherAcct)
			}
			e, ok := accepted(CreateEntryRequest{PrincipalARN: role, Type: tt.typ})
			if !ok {
				t.Fatal("plain entry refused")
			}
			for _, p := range []string{authz.ViewPolicyARN, authz.HybridPolicyARN, authz.ARCScalingPolicyARN, authz.AIOpsPolicyARN, authz.AutoNodePolicyARN} {
				want := false
				for _, q := range tt.policies {
					want = want || q == p
				}
				err := ValidateAssociation(e, p, authz.Scope{Type: authz.ScopeCluster})
				if (err == nil) != want {
					t.Errorf("associate %s: %v, want accepted=%v", p, err, want)
				}
				if err != nil && TypeOf(err) != InvalidParameterException {
					t.Errorf("associate %s: %v, want InvalidParameterException", p, err)
				}
			}
		})
	}
}

func TestEntryTypeMessages(t *testing.T) {
	auto, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Auto", Type: EntryEC2}, testCluster, testRegion, testAccount, t0)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, ValidateAssociation(auto, authz.ViewPolicyARN, authz.Scope{Type: authz.ScopeCluster}), InvalidParameterException,
		"Access entries of type EC2 accept only the AmazonEKSAutoNodePolicy access policy.")
	dev := standardEntry(t, "arn:aws:iam::111122223333:role/Dev")
	wantError(t, ValidateAssociation(dev, authz.AutoNodePolicyARN, authz.Scope{Type: authz.ScopeCluster}), InvalidParameterException,
		"The AmazonEKSAutoNodePolicy access policy can only be associated with access entries of type EC2.")
	_, err = NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::444455556666:role/Node", Type: EntryEC2Linux}, testCluster, testRegion, testAccount, t0)
	wantError(t, err, InvalidParameterException,
		"The specified principalArn is invalid: invalid principal. Access entries of type EC2_LINUX must be for a role in the cluster's account, 111122223333, not 444455556666.")
}

// Policies EKS lists without publishing their permissions are refused with
// ResourceNotFoundException and a message that says why.
func TestUnpublishedPolicyRefused(t *testing.T) {
	dev := standardEntry(t, "arn:aws:iam::111122223333:role/Dev")
	for _, name := range []string{"AmazonEKSSecretReaderPolicy", "AmazonEKSClusterInsightsPolicy", "AmazonEKSComputeClusterPolicy", "AmazonEKSNetworkingPolicy"} {
		arn := "arn:aws:eks::aws:cluster-access-policy/" + name
		wantError(t, ValidateAssociation(dev, arn, authz.Scope{Type: authz.ScopeCluster}), ResourceNotFoundException,
			"The specified policyArn "+arn+" could not be found: kubeiam does not implement it, because Amazon EKS does not publish its Kubernetes permissions...")
	}
}

// TestValidateUsername: the rules of "Set a custom username for EKS access
// entries" in the EKS user guide, with its examples.
func TestValidateUsername(t *testing.T) {
	tests := []struct {
		username string
		msg      string // "" when accepted
	}{
		{"admin", ""},
		{"admin:{{SessionName}}", ""},
		{"admin:{{SessionNameRaw}}", ""},
		{":john{{SessionName}}", ""}, // the guide's example
		{"jo:hn{{SessionName}}", ""}, // "the colon only has to be before {{SessionName}}"
		{"arn:aws:sts::111122223333:assumed-role/R/{{SessionName}}", ""},
		{"dev-{{AccountID}}", ""}, // the colon is only needed with a session name
		{"john{{SessionName}}", "The username john{{SessionName}} is invalid, it must include a colon before {{SessionName}}"},
		{"{{SessionNameRaw}}", "The username {{SessionNameRaw}} is invalid, it must include a colon before {{SessionNameRaw}}"},
		{"{{SessionName}}:admin", "The username {{SessionName}}:admin is invalid, it must include a colon before {{SessionName}}"},
		{"a{{SessionNameRaw}}:{{SessionName}}", "The username a{{SessionNameRaw}}:{{SessionName}} is invalid, it must include a colon before {{SessionNameRaw}}"},
		{"system:admin", "The username must not begin with system:"},
		{"eks:x", "The username must not begin with eks:"},
		{"aws:x", "The username must not begin with aws:"},
		{"amazon:x", "The username must not begin with amazon:"},
		{"iam:x", "The username must not begin with iam:"},
		{"IAM:{{SessionName}}", "The username must not begin with iam:"},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			err := ValidateUsername(tt.username)
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantError(t, err, InvalidParameterException, tt.msg)
		})
	}
}

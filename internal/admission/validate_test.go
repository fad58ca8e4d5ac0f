package admission

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/kubeapi/v1alpha1"
)

var testValidator = Validator{
	Cluster: Cluster{Name: "prod", Region: "us-east-1", AccountID: "111122223333"},
	Now:     func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) },
}

const (
	devRole   = "arn:aws:iam::111122223333:role/Dev"
	nodeRole  = "arn:aws:iam::111122223333:role/NodeRole"
	viewPol   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	adminPol  = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
	unknownPl = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSNoSuchPolicy"
	autoPol   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"
)

// entry returns a valid AccessEntry for principal, named as it must be,
// changed by mod.
func entry(t *testing.T, principal string, mod func(*v1alpha1.AccessEntrySpec)) *v1alpha1.AccessEntry {
	t.Helper()
	name, err := v1alpha1.AccessEntryName(principal)
	if err != nil {
		t.Fatalf("AccessEntryName(%s): %v", principal, err)
	}
	e := &v1alpha1.AccessEntry{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AccessEntrySpec{PrincipalARN: principal, Type: "STANDARD"}}
	if mod != nil {
		mod(&e.Spec)
	}
	return e
}

func TestAccessEntryCreate(t *testing.T) {
	ns := func(n ...string) v1alpha1.AccessScope { return v1alpha1.AccessScope{Type: "namespace", Namespaces: n} }
	cluster := v1alpha1.AccessScope{Type: "cluster"}
	tests := []struct {
		name string
		obj  *v1alpha1.AccessEntry
		// want is a substring of the refusal; "" means allowed.
		want string
	}{
		{"standard entry with groups and a view policy", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.KubernetesGroups = []string{"devs"}
			s.Username = "dev:{{SessionName}}"
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: viewPol, AccessScope: ns("dev", "dev-*")}}
		}), ""},
		{"empty type is STANDARD", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.Type = "" }), ""},
		{"role with a path, canonical", entry(t, "arn:aws:iam::111122223333:role/teams/Dev", nil), ""},
		{"default username of a role written out", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Username = "arn:aws:sts::111122223333:assumed-role/Dev/{{SessionName}}"
		}), ""},
		{"system:masters group (EKS refuses system: groups)", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.KubernetesGroups = []string{"devs", "system:masters"}
		}), "InvalidParameterException: The kubernetes group name system:masters is invalid, it cannot start with system:"},
		{"eks: username is reserved", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.Username = "eks:admin" }),
			"The username must not begin with eks:"},
		{"amazon: username is reserved", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.Username = "amazon:x" }), "must not begin with amazon:"},
		{"aws: tag key is reserved", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.Tags = map[string]string{"aws:team": "x"} }),
			"the prefix aws: is reserved"},
		{"assumed-role session instead of its role", &v1alpha1.AccessEntry{
			ObjectMeta: metav1.ObjectMeta{Name: mustName(t, devRole)},
			Spec:       v1alpha1.AccessEntrySpec{PrincipalARN: "arn:aws:sts::111122223333:assumed-role/Dev/alice", Type: "STANDARD"},
		}, "is an STS session; create the access entry for its role, arn:aws:iam::111122223333:role/Dev."},
		{"not an ARN", &v1alpha1.AccessEntry{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: v1alpha1.AccessEntrySpec{PrincipalARN: "Dev"}},
			"InvalidParameterException: The specified principalArn is invalid"},
		{"account root", &v1alpha1.AccessEntry{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Spec: v1alpha1.AccessEntrySpec{PrincipalARN: "arn:aws:iam::111122223333:root"}},
			"The account root user cannot have an access entry"},
		{"service-linked role", entry(t, "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", nil),
			"Service Linked Role"},
		{"name of another principal", &v1alpha1.AccessEntry{
			ObjectMeta: metav1.ObjectMeta{Name: mustName(t, nodeRole)},
			Spec:       v1alpha1.AccessEntrySpec{PrincipalARN: devRole, Type: "STANDARD"},
		}, "must be named " + mustName(t, devRole)},
		{"a readable but made-up name", &v1alpha1.AccessEntry{
			ObjectMeta: metav1.ObjectMeta{Name: "dev"}, Spec: v1alpha1.AccessEntrySpec{PrincipalARN: devRole},
		}, "not dev: one object per principal"},
		{"node entry as kubeiam stores it", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Type = "EC2_LINUX"
			s.Username = "system:node:{{EC2PrivateDNSName}}"
			s.KubernetesGroups = []string{"system:nodes"}
		}), ""},
		{"node entry as a user writes it", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) { s.Type = "EC2_LINUX" }), ""},
		{"node entry with a custom username", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Type = "EC2_LINUX"
			s.Username = "system:node:evil"
		}), "A username cannot be specified for access entries of type EC2_LINUX"},
		{"node entry with system:masters", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Type = "EC2_LINUX"
			s.KubernetesGroups = []string{"system:nodes", "system:masters"}
		}), "Kubernetes groups cannot be specified for access entries of type EC2_LINUX"},
		{"node entry for a user", entry(t, "arn:aws:iam::111122223333:user/bob", func(s *v1alpha1.AccessEntrySpec) { s.Type = "EC2_LINUX" }),
			"must be for an IAM role, not an IAM user"},
		{"policy on a node entry", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Type = "EC2_LINUX"
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: adminPol, AccessScope: cluster}}
		}), `can only be performed on Access Entries with a type of "STANDARD"`},
		{"unknown access policy", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: unknownPl, AccessScope: cluster}}
		}), "ResourceNotFoundException: The specified policyArn " + unknownPl + " could not be found"},
		{"policy of another partition", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", AccessScope: cluster}}
		}), "could not be found"},
		{"namespace scope without namespaces", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: viewPol, AccessScope: ns()}}
		}), "The specified accessScope is invalid"},
		// What CEL cannot check: the EKS username, entry type and account
		// rules (internal/access), held to here as in CreateAccessEntry.
		{"{{SessionName}} without a colon before it", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.Username = "dev{{SessionName}}" }),
			"InvalidParameterException: The username dev{{SessionName}} is invalid, it must include a colon before {{SessionName}}"},
		{"node entry of another account", entry(t, "arn:aws:iam::444455556666:role/NodeRole", func(s *v1alpha1.AccessEntrySpec) { s.Type = "EC2_LINUX" }),
			"Access entries of type EC2_LINUX must be for a role in the cluster's account, 111122223333, not 444455556666."},
		{"HyperPod entry", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) { s.Type = "HYPERPOD_LINUX" }), ""},
		{"Auto Mode entry with its node policy", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Type = "EC2"
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: autoPol, AccessScope: cluster}}
		}), ""},
		{"Auto Mode entry with another policy", entry(t, nodeRole, func(s *v1alpha1.AccessEntrySpec) {
			s.Type = "EC2"
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: viewPol, AccessScope: cluster}}
		}), "Access entries of type EC2 accept only the AmazonEKSAutoNodePolicy access policy."},
		{"node policy on a standard entry", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: autoPol, AccessScope: cluster}}
		}), "can only be associated with access entries of type EC2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testValidator.AccessEntry(Create, tt.obj, nil)
			checkRefusal(t, err, tt.want)
		})
	}
}

func TestAccessEntryCanonicalForm(t *testing.T) {
	// arn.Parse reads these; an AccessEntry keeps the ARN as written, so it
	// must be written the one way the ARN prints.
	for _, principal := range []string{
		"arn:aws:iam::111122223333:role//Dev",
		"arn:aws:iam::111122223333:role/teams//Dev",
	} {
		t.Run(principal, func(t *testing.T) {
			obj := &v1alpha1.AccessEntry{ObjectMeta: metav1.ObjectMeta{Name: mustName(t, devRole)}, Spec: v1alpha1.AccessEntrySpec{PrincipalARN: principal}}
			if err := testValidator.AccessEntry(Create, obj, nil); err == nil {
				t.Fatalf("%s accepted", principal)
			}
		})
	}
}

func TestAccessEntryUpdate(t *testing.T) {
	old := entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.KubernetesGroups = []string{"devs"} })
	tests := []struct {
		name string
		obj  *v1alpha1.AccessEntry
		want string
	}{
		{"groups changed", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.KubernetesGroups = []string{"ops"} }), ""},
		{"policy associated", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) {
			s.AccessPolicies = []v1alpha1.AccessPolicy{{PolicyARN: adminPol, AccessScope: v1alpha1.AccessScope{Type: "cluster"}}}
		}), ""},
		{"group changed to a system: group", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.KubernetesGroups = []string{"system:masters"} }),
			"cannot start with system:"},
		{"principal changed (name kept)", func() *v1alpha1.AccessEntry {
			e := entry(t, "arn:aws:iam::111122223333:role/Other", nil)
			e.Name = old.Name
			return e
		}(), "The principalArn of an access entry cannot be changed"},
		{"type changed", entry(t, devRole, func(s *v1alpha1.AccessEntrySpec) { s.Type = "EC2_LINUX"; s.KubernetesGroups = nil }),
			"The type of an access entry cannot be changed (from STANDARD to EC2_LINUX)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, testValidator.AccessEntry(Update, tt.obj, old), tt.want)
		})
	}
}

func accessConfig(mode string, mod func(*v1alpha1.AccessConfigSpec)) *v1alpha1.AccessConfig {
	c := &v1alpha1.AccessConfig{ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.AccessConfigName}, Spec: v1alpha1.AccessConfigSpec{
		ClusterName: "prod", Region: "us-east-1", AccountID: "111122223333", AuthenticationMode: mode,
		BootstrapClusterCreatorAdminPermissions: true, ClusterCreatorARN: "arn:aws:iam::111122223333:user/creator",
	}}
	if mod != nil {
		mod(&c.Spec)
	}
	return c
}

func TestAccessConfig(t *testing.T) {
	tests := []struct {
		name     string
		op       Operation
		old, obj *v1alpha1.AccessConfig
		want     string
	}{
		{"create", Create, nil, accessConfig("CONFIG_MAP", nil), ""},
		{"create named otherwise", Create, nil, func() *v1alpha1.AccessConfig {
			c := accessConfig("API", nil)
			c.Name = "prod"
			return c
		}(), "The AccessConfig must be named cluster, not prod"},
		{"create CONFIG_MAP without the creator's admin", Create, nil, accessConfig("CONFIG_MAP", func(s *v1alpha1.AccessConfigSpec) {
			s.BootstrapClusterCreatorAdminPermissions = false
		}), "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP"},
		{"create with a group as creator", Create, nil, accessConfig("API", func(s *v1alpha1.AccessConfigSpec) {
			s.ClusterCreatorARN = "arn:aws:iam::111122223333:group/admins"
		}), "The cluster creator ARN"},
		{"create with an unknown mode", Create, nil, accessConfig("BOTH", nil), `The authentication mode "BOTH" is invalid`},
		{"forward to API_AND_CONFIG_MAP", Update, accessConfig("CONFIG_MAP", nil), accessConfig("API_AND_CONFIG_MAP", nil), ""},
		{"forward to API", Update, accessConfig("API_AND_CONFIG_MAP", nil), accessConfig("API", nil), ""},
		{"unchanged mode, other update", Update, accessConfig("API", nil), accessConfig("API", nil), ""},
		{"backwards to CONFIG_MAP", Update, accessConfig("API_AND_CONFIG_MAP", nil), accessConfig("CONFIG_MAP", nil),
			"InvalidParameterException: Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP."},
		{"backwards from API", Update, accessConfig("API", nil), accessConfig("API_AND_CONFIG_MAP", nil),
			"InvalidParameterException: Unsupported authentication mode update from API to API_AND_CONFIG_MAP."},
		{"creator changed", Update, accessConfig("API", nil), accessConfig("API", func(s *v1alpha1.AccessConfigSpec) {
			s.ClusterCreatorARN = "arn:aws:iam::111122223333:user/mallory"
		}), "The clusterCreatorArn of the cluster's AccessConfig cannot be changed"},
		{"cluster renamed", Update, accessConfig("API", nil), accessConfig("API", func(s *v1alpha1.AccessConfigSpec) { s.ClusterName = "other" }),
			"The clusterName of the cluster's AccessConfig cannot be changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefusal(t, testValidator.AccessConfig(tt.op, tt.obj, tt.old), tt.want)
		})
	}
}

func mustName(t *testing.T, principal string) string {
	t.Helper()
	n, err := v1alpha1.AccessEntryName(principal)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func checkRefusal(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("refused: %v", err)
	case want != "" && err == nil:
		t.Fatalf("allowed, want a refusal with %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("refusal %q does not contain %q", err, want)
	}
}

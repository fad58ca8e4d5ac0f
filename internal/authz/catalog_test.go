package authz

import (
	"slices"
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestCatalog(t *testing.T) {
	c := Catalog()
	names := make([]string, len(c))
	for i, p := range c {
		names[i] = p.Name
		if p.ARN != policyARNPrefix+p.Name {
			t.Errorf("%s: ARN %q does not end in its name", p.Name, p.ARN)
		}
		if p.Description == "" || (len(p.Rules) == 0) != p.RulesUnpublished {
			t.Errorf("%s: no description, or rules that contradict RulesUnpublished", p.Name)
		}
		for _, r := range p.Rules {
			if len(r.Verbs) == 0 || (len(r.Resources) == 0) == (len(r.NonResourceURLs) == 0) {
				t.Errorf("%s: malformed rule %+v", p.Name, r)
			}
			if len(r.Resources) > 0 && len(r.APIGroups) == 0 {
				t.Errorf("%s: resource rule without API groups %+v", p.Name, r)
			}
		}
	}
	want := []string{AIOpsPolicyName, ARCScalingPolicyName, AdminPolicyName, AdminViewPolicyName, AutoNodePolicyName, ClusterAdminPolicyName, EditPolicyName, HybridPolicyName, ViewPolicyName}
	if !slices.Equal(names, want) || !sort.StringsAreSorted(names) {
		t.Fatalf("Catalog names = %v, want %v", names, want)
	}
}

// Callers get their own copies: changing one does not change the catalog.
func TestCatalogReturnsCopies(t *testing.T) {
	c := Catalog()
	for i := range c {
		for j := range c[i].Rules {
			if len(c[i].Rules[j].Verbs) == 0 {
				continue
			}
			c[i].Rules[j].Verbs[0] = "mutated"
		}
	}
	for _, p := range Catalog() {
		for _, r := range p.Rules {
			if slices.Contains(r.Verbs, "mutated") {
				t.Fatalf("%s: mutation leaked into the catalog", p.Name)
			}
		}
	}
}

// View is edit without writes, and without secrets and the subresources
// that reach into containers. Every rule of a weaker policy is also in the
// stronger one, so that the levels nest as upstream's aggregated roles do.
func TestPoliciesNest(t *testing.T) {
	contains := func(outer, inner []rbacv1.PolicyRule) bool {
		for _, r := range inner {
			if !slices.ContainsFunc(outer, func(o rbacv1.PolicyRule) bool {
				return slices.Equal(o.Verbs, r.Verbs) && slices.Equal(o.APIGroups, r.APIGroups) &&
					slices.Equal(o.Resources, r.Resources) && slices.Equal(o.NonResourceURLs, r.NonResourceURLs)
			}) {
				return false
			}
		}
		return true
	}
	if !contains(editRules(), viewRules()) || !contains(adminRules(), editRules()) {
		t.Fatal("view ⊄ edit or edit ⊄ admin")
	}
	for _, r := range viewRules() {
		for _, res := range r.Resources {
			if res == "secrets" || res == "pods/exec" || res == "pods/attach" || res == "pods/portforward" || res == "services/proxy" {
				t.Errorf("view grants %v on %s", r.Verbs, res)
			}
		}
	}
}

func TestLookupPolicy(t *testing.T) {
	tests := []struct {
		arn      string
		wantName string
	}{
		{ClusterAdminPolicyARN, ClusterAdminPolicyName},
		{AdminPolicyARN, AdminPolicyName},
		{EditPolicyARN, EditPolicyName},
		{ViewPolicyARN, ViewPolicyName},
		{AdminViewPolicyARN, AdminViewPolicyName},
		{HybridPolicyARN, HybridPolicyName},
		{AutoNodePolicyARN, AutoNodePolicyName},
		{ARCScalingPolicyARN, ARCScalingPolicyName},
		{AIOpsPolicyARN, AIOpsPolicyName},
		{"arn:aws-cn:eks::aws:cluster-access-policy/AmazonARCRegionSwitchScalingPolicy", ARCScalingPolicyName},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonAIOpsAssistant", ""},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSComputePolicy", ""},
		{"arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ViewPolicyName},
		{"arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSEditPolicy", EditPolicyName},
		{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSSuperPolicy", ""},
		{"arn:aws:eks::aws:cluster-access-policy/amazoneksviewpolicy", ""},
		{"arn:aws:eks::aws:cluster-access-policy/", ""},
		{"arn:aws:eks::aws:cluster-access-policy/x/AmazonEKSViewPolicy", ""},
		{"arn:aws:eks::111122223333:cluster-access-policy/AmazonEKSViewPolicy", ""},
		{"arn:aws:eks:us-east-1:aws:cluster-access-policy/AmazonEKSViewPolicy", ""},
		{"arn:aws:iam::aws:cluster-access-policy/AmazonEKSViewPolicy", ""},
		{"arn:aws-moon:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", ""},
		{"arn:aws:eks::aws:policy/AmazonEKSViewPolicy", ""},
		{"AmazonEKSViewPolicy", ""},
		{"", ""},
	}
	for _, tt := range tests {
		p, ok := LookupPolicy(tt.arn)
		if ok != (tt.wantName != "") || p.Name != tt.wantName {
			t.Errorf("LookupPolicy(%q) = %q, %v; want %q", tt.arn, p.Name, ok, tt.wantName)
			continue
		}
		if ok && p.ARN != tt.arn {
			t.Errorf("LookupPolicy(%q).ARN = %q", tt.arn, p.ARN)
		}
	}
}

func FuzzLookupPolicy(f *testing.F) {
	f.Add(ViewPolicyARN)
	f.Add("arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy")
	f.Add("arn:aws:eks::aws:cluster-access-policy/")
	f.Add("arn:::::")
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := LookupPolicy(s)
		if !ok {
			return
		}
		if p.ARN != s || !strings.HasSuffix(s, ":eks::aws:cluster-access-policy/"+p.Name) || (len(p.Rules) == 0) != p.RulesUnpublished {
			t.Fatalf("LookupPolicy(%q) = %+v", s, p)
		}
	})
}

package authz

import (
	"reflect"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
)

// Request builders: resource requests read "verb group/resource[/sub] in ns".
func res(verb, group, resource, ns string) Attributes {
	r, sub, _ := strings.Cut(resource, "/")
	return Attributes{User: "alice", Verb: verb, APIGroup: group, Resource: r, Subresource: sub, Namespace: ns, ResourceRequest: true}
}

func named(a Attributes, name string) Attributes { a.Name = name; return a }

func nonRes(verb, path string) Attributes {
	return Attributes{User: "alice", Verb: verb, NonResourcePath: path}
}

func cluster(policyARN string) Grant {
	return Grant{PolicyARN: policyARN, Scope: Scope{Type: ScopeCluster}}
}

func inNamespaces(policyARN string, patterns ...string) Grant {
	return Grant{PolicyARN: policyARN, Scope: Scope{Type: ScopeNamespace, Namespaces: patterns}}
}

func TestAuthorizeCoverage(t *testing.T) {
	tests := []struct {
		name    string
		grants  []Grant
		attrs   Attributes
		allowed bool
	}{
		// View
		{"view lists pods in its namespace", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("list", "", "pods", "dev"), true},
		{"view reads pod logs", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("get", "", "pods/log", "dev"), true},
		{"view reads deployments", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("watch", "apps", "deployments", "dev"), true},
		{"view cannot get secrets", []Grant{inNamespaces(ViewPolicyARN, "dev")}, named(res("get", "", "secrets", "dev"), "db"), false},
		{"view cannot list secrets even cluster-wide", []Grant{cluster(ViewPolicyARN)}, res("list", "", "secrets", "dev"), false},
		{"view cannot exec", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("create", "", "pods/exec", "dev"), false},
		{"view cannot delete pods", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("delete", "", "pods", "dev"), false},
		{"view does not reach another namespace", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("list", "", "pods", "prod"), false},
		{"namespaced view cannot list across namespaces", []Grant{inNamespaces(ViewPolicyARN, "dev")}, res("list", "", "pods", ""), false},
		{"cluster view lists across namespaces", []Grant{cluster(ViewPolicyARN)}, res("list", "", "pods", ""), true},
		{"view has no custom resources", []Grant{cluster(ViewPolicyARN)}, res("get", "example.com", "widgets", "dev"), false},

		// Edit
		{"edit deletes deployments", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("delete", "apps", "deployments", "dev"), true},
		{"edit scales deployments", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("update", "apps", "deployments/scale", "dev"), true},
		{"edit writes secrets", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("create", "", "secrets", "dev"), true},
		{"edit reads secrets", []Grant{inNamespaces(EditPolicyARN, "dev")}, named(res("get", "", "secrets", "dev"), "db"), true},
		{"edit execs into pods", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("create", "", "pods/exec", "dev"), true},
		{"edit cannot evict pods: the EKS table has no pods/eviction", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("create", "", "pods/eviction", "dev"), false},
		{"edit impersonates service accounts", []Grant{inNamespaces(EditPolicyARN, "dev")}, named(res("impersonate", "", "serviceaccounts", "dev"), "builder"), true},
		{"edit cannot create rolebindings", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("create", "rbac.authorization.k8s.io", "rolebindings", "dev"), false},
		{"edit cannot change resource quotas", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("update", "", "resourcequotas", "dev"), false},
		{"edit cannot write endpoints (CVE-2021-25740)", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("create", "", "endpoints", "dev"), false},
		{"edit cannot write pod status", []Grant{inNamespaces(EditPolicyARN, "dev")}, res("update", "", "pods/status", "dev"), false},

		// Admin
		{"admin creates rolebindings", []Grant{inNamespaces(AdminPolicyARN, "dev")}, res("create", "rbac.authorization.k8s.io", "rolebindings", "dev"), true},
		{"admin reads resource quotas", []Grant{inNamespaces(AdminPolicyARN, "dev")}, res("get", "", "resourcequotas", "dev"), true},
		{"admin asks local access reviews", []Grant{inNamespaces(AdminPolicyARN, "dev")}, res("create", "authorization.k8s.io", "localsubjectaccessreviews", "dev"), true},
		{"admin gets its own namespace", []Grant{inNamespaces(AdminPolicyARN, "dev")}, named(res("get", "", "namespaces", "dev"), "dev"), true},
		{"namespaced admin cannot list namespaces", []Grant{inNamespaces(AdminPolicyARN, "dev")}, res("list", "", "namespaces", ""), false},
		{"admin cannot delete its namespace", []Grant{inNamespaces(AdminPolicyARN, "dev")}, named(res("delete", "", "namespaces", "dev"), "dev"), false},
		{"admin cannot create clusterrolebindings", []Grant{cluster(AdminPolicyARN)}, res("create", "rbac.authorization.k8s.io", "clusterrolebindings", ""), false},
		{"cluster admin-policy binds in any namespace", []Grant{cluster(AdminPolicyARN)}, res("create", "rbac.authorization.k8s.io", "rolebindings", "team-z"), true},
		{"admin cannot touch nodes", []Grant{cluster(AdminPolicyARN)}, res("get", "", "nodes", ""), false},

		// ClusterAdmin
		{"cluster admin reads /metrics", []Grant{cluster(ClusterAdminPolicyARN)}, nonRes("get", "/metrics"), true},
		{"cluster admin deletes nodes", []Grant{cluster(ClusterAdminPolicyARN)}, named(res("delete", "", "nodes", ""), "n1"), true},
		{"cluster admin writes custom resources", []Grant{cluster(ClusterAdminPolicyARN)}, res("patch", "example.com", "widgets/status", "dev"), true},
		{"namespaced cluster admin owns its namespace", []Grant{inNamespaces(ClusterAdminPolicyARN, "dev")}, res("delete", "", "secrets", "dev"), true},
		{"namespaced cluster admin gets no nodes", []Grant{inNamespaces(ClusterAdminPolicyARN, "dev")}, res("get", "", "nodes", ""), false},
		{"namespaced cluster admin gets no /healthz", []Grant{inNamespaces(ClusterAdminPolicyARN, "*")}, nonRes("get", "/healthz"), false},
		{"namespace scope '*' still gets no nodes", []Grant{inNamespaces(ClusterAdminPolicyARN, "*")}, res("list", "", "nodes", ""), false},
		{"namespace scope '*' covers any namespace", []Grant{inNamespaces(ClusterAdminPolicyARN, "*")}, res("get", "", "pods", "kube-system"), true},

		// AdminView
		{"admin view reads secrets anywhere", []Grant{cluster(AdminViewPolicyARN)}, named(res("get", "", "secrets", "prod"), "db"), true},
		{"admin view lists nodes", []Grant{cluster(AdminViewPolicyARN)}, res("list", "", "nodes", ""), true},
		{"admin view reads custom resources", []Grant{cluster(AdminViewPolicyARN)}, res("watch", "example.com", "widgets", ""), true},
		{"admin view cannot delete", []Grant{cluster(AdminViewPolicyARN)}, res("delete", "", "pods", "dev"), false},
		{"admin view gets no /metrics", []Grant{cluster(AdminViewPolicyARN)}, nonRes("get", "/metrics"), false},
		{"namespaced admin view stays in its namespace", []Grant{inNamespaces(AdminViewPolicyARN, "dev")}, res("get", "", "secrets", "prod"), false},

		// Wildcard namespaces
		{"dev-* covers dev-a", []Grant{inNamespaces(EditPolicyARN, "dev-*")}, res("create", "", "configmaps", "dev-a"), true},
		{"dev-* does not cover prod", []Grant{inNamespaces(EditPolicyARN, "dev-*")}, res("create", "", "configmaps", "prod"), false},
		{"dev-* does not cover dev", []Grant{inNamespaces(EditPolicyARN, "dev-*")}, res("create", "", "configmaps", "dev"), false},
		{"any listed pattern may match", []Grant{inNamespaces(ViewPolicyARN, "prod", "*-staging")}, res("get", "", "pods", "web-staging"), true},

		// Grants kubeiam cannot evaluate grant nothing.
		{"no grants", nil, res("get", "", "pods", "dev"), false},
		{"unknown policy ARN", []Grant{cluster("arn:aws:eks::aws:cluster-access-policy/AmazonEKSSuperPolicy")}, res("get", "", "pods", "dev"), false},
		{"policy ARN in another case", []Grant{cluster(strings.ToLower(ClusterAdminPolicyARN))}, res("get", "", "pods", "dev"), false},
		{"policy ARN in an unknown partition", []Grant{cluster(strings.Replace(ClusterAdminPolicyARN, "arn:aws:", "arn:aws-moon:", 1))}, res("get", "", "pods", "dev"), false},
		{"policy ARN in aws-cn", []Grant{cluster(strings.Replace(ViewPolicyARN, "arn:aws:", "arn:aws-cn:", 1))}, res("get", "", "pods", "dev"), true},
		{"namespace scope without namespaces", []Grant{{PolicyARN: ClusterAdminPolicyARN, Scope: Scope{Type: ScopeNamespace}}}, res("get", "", "pods", "dev"), false},
		{"cluster scope with namespaces", []Grant{{PolicyARN: ClusterAdminPolicyARN, Scope: Scope{Type: ScopeCluster, Namespaces: []string{"dev"}}}}, res("get", "", "pods", "dev"), false},
		{"scope without a type", []Grant{{PolicyARN: ClusterAdminPolicyARN}}, res("get", "", "pods", "dev"), false},
		{"empty attributes", []Grant{cluster(ClusterAdminPolicyARN)}, Attributes{}, false},
		{"resource request without resource", []Grant{cluster(ClusterAdminPolicyARN)}, Attributes{Verb: "get", ResourceRequest: true}, false},
	}
	z := NewAuthorizer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := z.Authorize(tt.grants, tt.attrs)
			if d.Allowed != tt.allowed {
				t.Fatalf("Allowed = %v, want %v (reason %q)", d.Allowed, tt.allowed, d.Reason)
			}
			if d.Reason == "" {
				t.Error("empty Reason")
			}
			if !d.Allowed && (d.PolicyARN != "" || d.Scope.Type != "") {
				t.Errorf("denied decision names a grant: %+v", d)
			}
		})
	}
}

func TestAuthorizeImpersonatedGetsNothing(t *testing.T) {
	a := res("get", "", "pods", "dev")
	a.Impersonated = true
	d := Authorize([]Grant{cluster(ClusterAdminPolicyARN)}, a)
	if d.Allowed {
		t.Fatal("impersonated request allowed")
	}
	if !strings.Contains(d.Reason, "impersonated") {
		t.Errorf("Reason %q does not mention impersonation", d.Reason)
	}
}

func TestAuthorizeReasons(t *testing.T) {
	tests := []struct {
		name   string
		grants []Grant
		attrs  Attributes
		want   []string
	}{
		{"cluster grant", []Grant{cluster(EditPolicyARN)}, res("get", "", "pods", "dev"),
			[]string{"AmazonEKSEditPolicy", "cluster scope"}},
		{"namespace grant names the namespace and the pattern", []Grant{inNamespaces(EditPolicyARN, "dev-*")}, res("get", "", "pods", "dev-a"),
			[]string{"AmazonEKSEditPolicy", `namespace "dev-a"`, `"dev-*"`}},
		{"not covered describes the request", []Grant{inNamespaces(ViewPolicyARN, "dev")}, named(res("get", "", "secrets", "dev"), "db"),
			[]string{"no associated access policy covers", `get secrets "db" in namespace "dev"`}},
		{"not covered counts unknown policies", []Grant{cluster("arn:aws:eks::aws:cluster-access-policy/Nope")}, nonRes("get", "/healthz"),
			[]string{"get /healthz", "1 association(s) with an unknown policy ARN"}},
		{"not covered counts malformed scopes", []Grant{inNamespaces(ViewPolicyARN, "Dev")}, res("list", "apps", "deployments", ""),
			[]string{"list apps/deployments (no namespace)", "1 association(s) with a malformed scope"}},
		{"no grants", nil, res("get", "", "pods", "dev"), []string{"no access policies are associated"}},
		{"incomplete attributes", []Grant{cluster(ViewPolicyARN)}, Attributes{}, []string{"incomplete request attributes"}},
	}
	z := NewAuthorizer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := z.Authorize(tt.grants, tt.attrs)
			for _, w := range tt.want {
				if !strings.Contains(d.Reason, w) {
					t.Errorf("Reason %q does not contain %q", d.Reason, w)
				}
			}
		})
	}
}

// The Decision names the most privileged covering grant, whatever the order
// of the grants.
func TestAuthorizePrefersMostPrivilegedGrant(t *testing.T) {
	cnView := strings.Replace(ViewPolicyARN, "arn:aws:", "arn:aws-cn:", 1)
	tests := []struct {
		name      string
		grants    []Grant
		attrs     Attributes
		wantARN   string
		wantScope ScopeType
	}{
		{"cluster admin over edit and view",
			[]Grant{inNamespaces(ViewPolicyARN, "dev"), inNamespaces(EditPolicyARN, "dev"), cluster(ClusterAdminPolicyARN)},
			res("get", "", "pods", "dev"), ClusterAdminPolicyARN, ScopeCluster},
		{"edit over admin view for a read both cover",
			[]Grant{cluster(AdminViewPolicyARN), inNamespaces(EditPolicyARN, "dev")},
			res("get", "", "secrets", "dev"), EditPolicyARN, ScopeNamespace},
		{"the only grant that covers wins even if less privileged",
			[]Grant{inNamespaces(AdminPolicyARN, "prod"), cluster(ViewPolicyARN)},
			res("get", "", "pods", "dev"), ViewPolicyARN, ScopeCluster},
		{"cluster scope over namespace scope of the same policy",
			[]Grant{inNamespaces(ViewPolicyARN, "dev"), cluster(ViewPolicyARN)},
			res("get", "", "pods", "dev"), ViewPolicyARN, ScopeCluster},
		{"same policy in two partitions: smaller ARN ('-' sorts before ':')",
			[]Grant{cluster(ViewPolicyARN), cluster(cnView)},
			res("get", "", "pods", "dev"), cnView, ScopeCluster},
	}
	z := NewAuthorizer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, order := range permutations(len(tt.grants)) {
				grants := make([]Grant, len(order))
				for i, j := range order {
					grants[i] = tt.grants[j]
				}
				d := z.Authorize(grants, tt.attrs)
				if !d.Allowed || d.PolicyARN != tt.wantARN || d.Scope.Type != tt.wantScope {
					t.Fatalf("order %v: got %+v, want %s with %s scope", order, d, tt.wantARN, tt.wantScope)
				}
			}
		})
	}
}

// The Decision's Scope is a copy: changing it does not change the grant.
func TestAuthorizeDecisionScopeIsACopy(t *testing.T) {
	grants := []Grant{inNamespaces(ViewPolicyARN, "dev")}
	d := Authorize(grants, res("get", "", "pods", "dev"))
	d.Scope.Namespaces[0] = "changed"
	if grants[0].Scope.Namespaces[0] != "dev" {
		t.Fatal("Decision.Scope aliases the grant's namespaces")
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestAttributesFromSAR(t *testing.T) {
	tests := []struct {
		name string
		spec authorizationv1.SubjectAccessReviewSpec
		want Attributes
	}{
		{"resource", authorizationv1.SubjectAccessReviewSpec{
			User: "alice", Groups: []string{"devs"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: "dev", Verb: "get", Group: "apps", Version: "v1",
				Resource: "deployments", Subresource: "scale", Name: "web",
			},
		}, Attributes{User: "alice", Groups: []string{"devs"}, Verb: "get", APIGroup: "apps",
			Resource: "deployments", Subresource: "scale", Name: "web", Namespace: "dev", ResourceRequest: true}},
		{"non-resource", authorizationv1.SubjectAccessReviewSpec{
			User:                  "bob",
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/healthz", Verb: "get"},
		}, Attributes{User: "bob", Verb: "get", NonResourcePath: "/healthz"}},
		{"both: resource wins, as in kube-apiserver", authorizationv1.SubjectAccessReviewSpec{
			ResourceAttributes:    &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"},
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/healthz", Verb: "get"},
		}, Attributes{Verb: "list", Resource: "pods", ResourceRequest: true}},
		{"impersonation extras do not set Impersonated", authorizationv1.SubjectAccessReviewSpec{
			User:               "system:serviceaccount:dev:builder",
			Extra:              map[string]authorizationv1.ExtraValue{"authentication.kubernetes.io/credential-id": {"x"}},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "dev"},
		}, Attributes{User: "system:serviceaccount:dev:builder", Verb: "get", Resource: "pods", Namespace: "dev", ResourceRequest: true}},
		{"empty", authorizationv1.SubjectAccessReviewSpec{}, Attributes{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AttributesFromSAR(tt.spec)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func BenchmarkAuthorize(b *testing.B) {
	grants := []Grant{
		inNamespaces(ViewPolicyARN, "team-a", "team-b", "shared-*"),
		inNamespaces(EditPolicyARN, "dev-*"),
		inNamespaces(AdminPolicyARN, "sandbox"),
		cluster(AdminViewPolicyARN),
	}
	cases := []struct {
		name  string
		attrs Attributes
	}{
		{"allowed", res("delete", "apps", "deployments", "dev-42")},
		// Not covered: every grant is evaluated to the end.
		{"not covered", res("create", "rbac.authorization.k8s.io", "clusterroles", "")},
	}
	z := NewAuthorizer()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				z.Authorize(grants, c.attrs)
			}
		})
	}
	b.Run("package func", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Authorize(grants, cases[0].attrs)
		}
	})
}

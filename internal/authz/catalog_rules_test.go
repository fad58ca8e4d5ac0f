package authz

import (
	"slices"
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// docRow is one row of a policy's table in the EKS user guide, "Review
// access policy permissions" (access-policy-reference.adoc in
// awsdocs/amazon-eks-user-guide), or in the guide of the AWS service that
// uses the policy: "API groups | resources | verbs", or
// "nonResourceURLs=... | verbs" for a non-resource rule. Each row is one
// rule. The rows are copied from the page as it reads, in its order.
type docRow string

// documentedRules are the published tables, policy by policy.
var documentedRules = map[string][]docRow{
	ClusterAdminPolicyName: {
		"* | * | *",
		"nonResourceURLs=* | *",
	},
	AdminViewPolicyName: {
		"* | * | get, list, watch",
	},
	HybridPolicyName: {
		"* | nodes | list",
	},
	ViewPolicyName: {
		"apps | controllerrevisions, daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status, replicasets, replicasets/scale, replicasets/status, statefulsets, statefulsets/scale, statefulsets/status | get, list, watch",
		"autoscaling | horizontalpodautoscalers, horizontalpodautoscalers/status | get, list, watch",
		"batch | cronjobs, cronjobs/status, jobs, jobs/status | get, list, watch",
		"discovery.k8s.io | endpointslices | get, list, watch",
		"extensions | daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status, ingresses, ingresses/status, networkpolicies, replicasets, replicasets/scale, replicasets/status, replicationcontrollers/scale | get, list, watch",
		"networking.k8s.io | ingresses, ingresses/status, networkpolicies | get, list, watch",
		"policy | poddisruptionbudgets, poddisruptionbudgets/status | get, list, watch",
		" | configmaps, endpoints, persistentvolumeclaims, persistentvolumeclaims/status, pods, replicationcontrollers, replicationcontrollers/scale, serviceaccounts, services, services/status | get, list, watch",
		" | bindings, events, limitranges, namespaces/status, pods/log, pods/status, replicationcontrollers/status, resourcequotas, resourcequotas/status | get, list, watch",
		" | namespaces | get, list, watch",
	},
	EditPolicyName: {
		"apps | daemonsets, deployments, deployments/rollback, deployments/scale, replicasets, replicasets/scale, statefulsets, statefulsets/scale | create, delete, deletecollection, patch, update",
		"apps | controllerrevisions, daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status, replicasets, replicasets/scale, replicasets/status, statefulsets, statefulsets/scale, statefulsets/status | get, list, watch",
		"autoscaling | horizontalpodautoscalers, horizontalpodautoscalers/status | get, list, watch",
		"autoscaling | horizontalpodautoscalers | create, delete, deletecollection, patch, update",
		"batch | cronjobs, jobs | create, delete, deletecollection, patch, update",
		"batch | cronjobs, cronjobs/status, jobs, jobs/status | get, list, watch",
		"discovery.k8s.io | endpointslices | get, list, watch",
		"extensions | daemonsets, deployments, deployments/rollback, deployments/scale, ingresses, networkpolicies, replicasets, replicasets/scale, replicationcontrollers/scale | create, delete, deletecollection, patch, update",
		"extensions | daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status, ingresses, ingresses/status, networkpolicies, replicasets, replicasets/scale, replicasets/status, replicationcontrollers/scale | get, list, watch",
		"networking.k8s.io | ingresses, networkpolicies | create, delete, deletecollection, patch, update",
		"networking.k8s.io | ingresses, ingresses/status, networkpolicies | get, list, watch",
		"policy | poddisruptionbudgets | create, delete, deletecollection, patch, update",
		"policy | poddisruptionbudgets, poddisruptionbudgets/status | get, list, watch",
		" | namespaces | get, list, watch",
		" | pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy | get, list, watch",
		" | serviceaccounts | impersonate",
		" | pods, pods/attach, pods/exec, pods/portforward, pods/proxy | create, delete, deletecollection, patch, update",
		" | configmaps, events, persistentvolumeclaims, replicationcontrollers, replicationcontrollers/scale, secrets, serviceaccounts, services, services/proxy | create, delete, deletecollection, patch, update",
		" | configmaps, endpoints, persistentvolumeclaims, persistentvolumeclaims/status, pods, replicationcontrollers, replicationcontrollers/scale, serviceaccounts, services, services/status | get, list, watch",
		" | bindings, events, limitranges, namespaces/status, pods/log, pods/status, replicationcontrollers/status, resourcequotas, resourcequotas/status | get, list, watch",
	},
	// ARC developer guide, "Amazon EKS resource scaling execution block",
	// table "Region switch EKS access policy".
	ARCScalingPolicyName: {
		"* | */scale | get, update",
		"* | */status | get",
		"autoscaling | horizontalpodautoscalers | get, patch",
	},
	// CloudWatch user guide, "Integration with Amazon EKS", section
	// "AmazonAIOpsAssistantPolicy": one row per YAML rule.
	AIOpsPolicyName: {
		" | pods, pods/log, services, nodes, namespaces, events, persistentvolumes, persistentvolumeclaims, configmaps | get, list",
		"apps | deployments, replicasets, statefulsets, daemonsets | get, list",
		"batch | jobs, cronjobs | get, list",
		"events.k8s.io | events | get, list",
		"networking.k8s.io | ingresses, ingressclasses | get, list",
		"storage.k8s.io | storageclasses | get, list",
		"metrics.k8s.io | pods, nodes | get, list",
	},
	AdminPolicyName: {
		"apps | daemonsets, deployments, deployments/rollback, deployments/scale, replicasets, replicasets/scale, statefulsets, statefulsets/scale | create, delete, deletecollection, patch, update",
		"apps | controllerrevisions, daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status, replicasets, replicasets/scale, replicasets/status, statefulsets, statefulsets/scale, statefulsets/status | get, list, watch",
		"authorization.k8s.io | localsubjectaccessreviews | create",
		"autoscaling | horizontalpodautoscalers | create, delete, deletecollection, patch, update",
		"autoscaling | horizontalpodautoscalers, horizontalpodautoscalers/status | get, list, watch",
		"batch | cronjobs, jobs | create, delete, deletecollection, patch, update",
		"batch | cronjobs, cronjobs/status, jobs, jobs/status | get, list, watch",
		"discovery.k8s.io | endpointslices | get, list, watch",
		"extensions | daemonsets, deployments, deployments/rollback, deployments/scale, ingresses, networkpolicies, replicasets, replicasets/scale, replicationcontrollers/scale | create, delete, deletecollection, patch, update",
		"extensions | daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status, ingresses, ingresses/status, networkpolicies, replicasets, replicasets/scale, replicasets/status, replicationcontrollers/scale | get, list, watch",
		"networking.k8s.io | ingresses, ingresses/status, networkpolicies | get, list, watch",
		"networking.k8s.io | ingresses, networkpolicies | create, delete, deletecollection, patch, update",
		"policy | poddisruptionbudgets | create, delete, deletecollection, patch, update",
		"policy | poddisruptionbudgets, poddisruptionbudgets/status | get, list, watch",
		"rbac.authorization.k8s.io | rolebindings, roles | create, delete, deletecollection, get, list, patch, update, watch",
		" | configmaps, endpoints, persistentvolumeclaims, persistentvolumeclaims/status, pods, replicationcontrollers, replicationcontrollers/scale, serviceaccounts, services, services/status | get, list, watch",
		" | pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy | get, list, watch",
		" | configmaps, events, persistentvolumeclaims, replicationcontrollers, replicationcontrollers/scale, secrets, serviceaccounts, services, services/proxy | create, delete, deletecollection, patch, update",
		" | pods, pods/attach, pods/exec, pods/portforward, pods/proxy | create, delete, deletecollection, patch, update",
		" | serviceaccounts | impersonate",
		" | bindings, events, limitranges, namespaces/status, pods/log, pods/status, replicationcontrollers/status, resourcequotas, resourcequotas/status | get, list, watch",
		" | namespaces | get, list, watch",
	},
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(f))
	}
	sort.Strings(out)
	return out
}

// canonical renders a rule with its lists sorted, so that rows compare
// regardless of the order the page or the code lists names in.
func canonical(r rbacv1.PolicyRule) string {
	sorted := func(s []string) string {
		c := slices.Clone(s)
		sort.Strings(c)
		return strings.Join(c, ",")
	}
	if len(r.NonResourceURLs) > 0 {
		return "urls=" + sorted(r.NonResourceURLs) + " verbs=" + sorted(r.Verbs)
	}
	return "groups=" + sorted(r.APIGroups) + " resources=" + sorted(r.Resources) + " verbs=" + sorted(r.Verbs)
}

func (d docRow) rule(t *testing.T) rbacv1.PolicyRule {
	t.Helper()
	cols := strings.Split(string(d), "|")
	if urls, ok := strings.CutPrefix(strings.TrimSpace(cols[0]), "nonResourceURLs="); ok && len(cols) == 2 {
		return rbacv1.PolicyRule{NonResourceURLs: splitList(urls), Verbs: splitList(cols[1])}
	}
	if len(cols) != 3 {
		t.Fatalf("malformed row %q", d)
	}
	return rbacv1.PolicyRule{APIGroups: []string{strings.TrimSpace(cols[0])}, Resources: splitList(cols[1]), Verbs: splitList(cols[2])}
}

// Each policy with a published table has exactly its rows as rules: no
// more, no fewer, none changed.
func TestPolicyRulesMatchTheEKSReference(t *testing.T) {
	byName := map[string]Policy{}
	for _, p := range Catalog() {
		byName[p.Name] = p
	}
	for name, rows := range documentedRules {
		t.Run(name, func(t *testing.T) {
			p, ok := byName[name]
			if !ok {
				t.Fatalf("%s is not in the catalog", name)
			}
			var want, got []string
			for _, row := range rows {
				want = append(want, canonical(row.rule(t)))
			}
			for _, r := range p.Rules {
				got = append(got, canonical(r))
			}
			sort.Strings(want)
			sort.Strings(got)
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("missing documented rule %s", w)
				}
			}
			for _, g := range got {
				if !slices.Contains(want, g) {
					t.Errorf("rule %s is not in the reference", g)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d rules, the reference has %d rows", len(got), len(want))
			}
		})
	}
	// Every implemented policy is either documented above or says that EKS
	// publishes no rules for it.
	for _, p := range Catalog() {
		if _, ok := documentedRules[p.Name]; ok == p.RulesUnpublished {
			t.Errorf("%s: documented=%v but RulesUnpublished=%v", p.Name, ok, p.RulesUnpublished)
		}
	}
}

// What the tables mean for requests, per policy: a few requests each policy
// must allow and must not, read off the reference's tables.
func TestPolicyBehaviourPerPolicy(t *testing.T) {
	res := func(verb, group, resource, sub string) Attributes {
		return Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: "dev", ResourceRequest: true}
	}
	nodes := Attributes{Verb: "list", Resource: "nodes", ResourceRequest: true}
	metrics := Attributes{Verb: "get", NonResourcePath: "/metrics"}
	tests := []struct {
		policy string
		allow  []Attributes
		deny   []Attributes
	}{
		{ClusterAdminPolicyName,
			[]Attributes{res("delete", "", "secrets", ""), nodes, metrics, res("escalate", rbacGroup, "clusterroles", "")}, nil},
		{AdminPolicyName,
			[]Attributes{res("create", rbacGroup, "rolebindings", ""), res("create", authorizationGroup, "localsubjectaccessreviews", ""), res("create", "", "events", "")},
			[]Attributes{res("create", rbacGroup, "clusterroles", ""), nodes, metrics, res("create", "", "pods", "eviction"), res("create", "", "serviceaccounts", "token")}},
		{EditPolicyName,
			[]Attributes{res("create", "", "pods", "exec"), res("get", "", "secrets", ""), res("patch", "", "events", ""), res("impersonate", "", "serviceaccounts", "")},
			[]Attributes{res("create", rbacGroup, "roles", ""), res("update", "", "endpoints", ""), res("create", "", "pods", "eviction"), res("update", "", "resourcequotas", "")}},
		{ViewPolicyName,
			[]Attributes{res("list", "", "pods", ""), res("get", "", "pods", "log"), res("watch", discoveryGroup, "endpointslices", "")},
			[]Attributes{res("get", "", "secrets", ""), res("get", "", "pods", "exec"), res("create", "", "pods", ""), nodes}},
		{AdminViewPolicyName,
			[]Attributes{res("get", "", "secrets", ""), nodes, res("list", "example.com", "widgets", "")},
			[]Attributes{res("create", "", "pods", ""), metrics}},
		{HybridPolicyName,
			[]Attributes{nodes, {Verb: "list", APIGroup: "example.com", Resource: "nodes", ResourceRequest: true}},
			[]Attributes{{Verb: "get", Resource: "nodes", Name: "n1", ResourceRequest: true}, res("list", "", "pods", ""), metrics}},
		{AutoNodePolicyName, nil, []Attributes{nodes, res("get", "", "pods", ""), metrics}},
	}
	z := NewAuthorizer()
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			grants := []Grant{{PolicyARN: policyARNPrefix + tt.policy, Scope: Scope{Type: ScopeCluster}}}
			for _, a := range tt.allow {
				a.User = "u"
				if d := z.Authorize(grants, a); !d.Allowed {
					t.Errorf("%s does not allow %s: %s", tt.policy, a.String(), d.Reason)
				}
			}
			for _, a := range tt.deny {
				a.User = "u"
				if d := z.Authorize(grants, a); d.Allowed {
					t.Errorf("%s allows %s", tt.policy, a.String())
				}
			}
		})
	}
}

// A grant of a policy EKS publishes no rules for says so in the reason.
func TestUnpublishedPolicyReason(t *testing.T) {
	d := Authorize([]Grant{{PolicyARN: AutoNodePolicyARN, Scope: Scope{Type: ScopeCluster}}},
		Attributes{User: "u", Verb: "get", Resource: "pods", Namespace: "dev", ResourceRequest: true})
	if d.Allowed || !strings.Contains(d.Reason, "AmazonEKSAutoNodePolicy grants nothing in kubeiam") {
		t.Fatalf("decision = %+v", d)
	}
	if !UnpublishedPolicy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSComputePolicy") || UnpublishedPolicy(ViewPolicyARN) ||
		UnpublishedPolicy("arn:aws:eks::aws:cluster-access-policy/AmazonEKSMadeUpPolicy") {
		t.Fatal("UnpublishedPolicy misclassifies")
	}
}

// Every policy has its own privilege rank, so that the Decision's choice
// among several covering grants never depends on their order: ClusterAdmin
// first, the narrow node policies last.
func TestPrivilegeRanks(t *testing.T) {
	order := []string{ClusterAdminPolicyName, AdminPolicyName, EditPolicyName, AdminViewPolicyName, ViewPolicyName,
		ARCScalingPolicyName, AIOpsPolicyName, HybridPolicyName, AutoNodePolicyName}
	ranks := map[string]int{}
	for _, p := range Catalog() {
		ranks[p.Name] = p.rank
	}
	for i, name := range order {
		if got, ok := ranks[name]; !ok || got != i {
			t.Errorf("rank of %s = %d (in catalog: %v), want %d", name, got, ok, i)
		}
	}
	if len(order) != len(ranks) {
		t.Errorf("ranks of %v, want exactly %v", ranks, order)
	}
	// list nodes: Hybrid, AdminView and ClusterAdmin all cover it; the
	// Decision names the most privileged, whatever the order of grants.
	nodes := Attributes{User: "u", Verb: "list", Resource: "nodes", ResourceRequest: true}
	cluster := Scope{Type: ScopeCluster}
	grants := []Grant{{PolicyARN: HybridPolicyARN, Scope: cluster}, {PolicyARN: AdminViewPolicyARN, Scope: cluster}}
	if d := Authorize(grants, nodes); d.PolicyARN != AdminViewPolicyARN {
		t.Errorf("decision names %s, want AdminView", d.PolicyARN)
	}
	grants = append(grants, Grant{PolicyARN: ClusterAdminPolicyARN, Scope: cluster})
	slices.Reverse(grants)
	if d := Authorize(grants, nodes); d.PolicyARN != ClusterAdminPolicyARN {
		t.Errorf("decision names %s, want ClusterAdmin", d.PolicyARN)
	}
}

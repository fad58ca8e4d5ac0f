package authz

import "testing"

// What the service policies' tables mean for requests, with the edges:
// subresources (a "*/scale" rule is not the resource itself), verbs the
// table leaves out (patch on scale, watch for AIOps), cluster-scoped
// resources and non-resource URLs, which only a cluster scope reaches, and
// namespaces outside a namespace scope.
func TestServicePolicyBehaviour(t *testing.T) {
	in := func(ns, verb, group, resource, sub string) Attributes {
		return Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, ResourceRequest: true}
	}
	clusterWide := func(verb, group, resource, sub string) Attributes {
		return Attributes{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, ResourceRequest: true}
	}
	nonResource := func(path string) Attributes { return Attributes{Verb: "get", NonResourcePath: path} }
	cluster := Scope{Type: ScopeCluster}
	prod := Scope{Type: ScopeNamespace, Namespaces: []string{"prod"}}

	tests := []struct {
		name   string
		policy string
		scope  Scope
		allow  []Attributes
		deny   []Attributes
	}{
		{"ARC scaling in its namespace", ARCScalingPolicyName, prod,
			[]Attributes{
				in("prod", "update", appsGroup, "deployments", "scale"),
				in("prod", "get", appsGroup, "statefulsets", "scale"),
				in("prod", "update", coreGroup, "replicationcontrollers", "scale"),
				in("prod", "update", "example.com", "widgets", "scale"), // "*" group, any resource's scale
				in("prod", "get", appsGroup, "deployments", "status"),
				in("prod", "get", autoscalingGroup, "horizontalpodautoscalers", "status"),
				in("prod", "get", autoscalingGroup, "horizontalpodautoscalers", ""),
				in("prod", "patch", autoscalingGroup, "horizontalpodautoscalers", ""),
			},
			[]Attributes{
				in("prod", "patch", appsGroup, "deployments", "scale"),   // get and update only
				in("prod", "list", appsGroup, "deployments", "scale"),    // idem
				in("prod", "update", appsGroup, "deployments", "status"), // status is read-only
				in("prod", "get", appsGroup, "deployments", ""),          // the resource, not its subresource
				in("prod", "update", appsGroup, "deployments", ""),
				in("prod", "update", autoscalingGroup, "horizontalpodautoscalers", ""),
				in("prod", "delete", autoscalingGroup, "horizontalpodautoscalers", ""),
				in("prod", "get", coreGroup, "pods", "log"),
				in("dev", "update", appsGroup, "deployments", "scale"), // outside the scope
				clusterWide("get", coreGroup, "nodes", "status"),       // cluster-scoped: not in a namespace scope
				nonResource("/metrics"),
			}},
		{"ARC scaling with cluster scope", ARCScalingPolicyName, cluster,
			[]Attributes{
				in("dev", "update", appsGroup, "deployments", "scale"),
				clusterWide("get", coreGroup, "nodes", "status"),
			},
			[]Attributes{
				clusterWide("get", coreGroup, "nodes", ""),
				nonResource("/healthz"),
			}},
		{"AIOps with cluster scope", AIOpsPolicyName, cluster,
			[]Attributes{
				in("dev", "list", coreGroup, "pods", ""),
				in("dev", "get", coreGroup, "pods", "log"),
				in("dev", "get", coreGroup, "configmaps", ""),
				in("dev", "list", coreGroup, "events", ""),
				in("dev", "list", eventsGroup, "events", ""),
				in("dev", "get", appsGroup, "daemonsets", ""),
				in("dev", "list", batchGroup, "cronjobs", ""),
				in("dev", "get", networkingGroup, "ingresses", ""),
				in("dev", "get", metricsGroup, "pods", ""),
				clusterWide("list", coreGroup, "nodes", ""),
				clusterWide("get", coreGroup, "persistentvolumes", ""),
				clusterWide("list", coreGroup, "namespaces", ""),
				clusterWide("list", networkingGroup, "ingressclasses", ""),
				clusterWide("get", storageGroup, "storageclasses", ""),
				clusterWide("list", metricsGroup, "nodes", ""),
			},
			[]Attributes{
				in("dev", "watch", coreGroup, "pods", ""), // get and list only
				clusterWide("watch", coreGroup, "nodes", ""),
				in("dev", "get", coreGroup, "secrets", ""),
				in("dev", "get", coreGroup, "pods", "exec"),
				in("dev", "get", coreGroup, "pods", "status"), // pods/log is listed, other subresources are not
				in("dev", "get", appsGroup, "deployments", "scale"),
				in("dev", "list", appsGroup, "controllerrevisions", ""),
				in("dev", "list", coreGroup, "serviceaccounts", ""),
				in("dev", "delete", coreGroup, "pods", ""),
				in("dev", "list", "example.com", "pods", ""), // pods only in the core and metrics groups
				clusterWide("list", storageGroup, "csinodes", ""),
				nonResource("/metrics"),
				nonResource("/logs"),
			}},
		{"AIOps in its namespace", AIOpsPolicyName, prod,
			[]Attributes{
				in("prod", "list", coreGroup, "pods", ""),
				in("prod", "get", coreGroup, "pods", "log"),
			},
			[]Attributes{
				in("dev", "list", coreGroup, "pods", ""),
				clusterWide("list", coreGroup, "nodes", ""),
				clusterWide("list", coreGroup, "pods", ""), // across namespaces
				nonResource("/metrics"),
			}},
	}
	z := NewAuthorizer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			grants := []Grant{{PolicyARN: policyARNPrefix + tt.policy, Scope: tt.scope}}
			for _, a := range tt.allow {
				a.User = "u"
				d := z.Authorize(grants, a)
				if !d.Allowed || d.PolicyARN != grants[0].PolicyARN {
					t.Errorf("%s does not allow %s: %s", tt.policy, a.String(), d.Reason)
				}
			}
			for _, a := range tt.deny {
				a.User = "u"
				if d := z.Authorize(grants, a); d.Allowed {
					t.Errorf("%s allows %s: %s", tt.policy, a.String(), d.Reason)
				}
			}
		})
	}
}

package authz

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Rule matching, checked against the RBAC authorizer's documented behaviour.
func TestRuleAllows(t *testing.T) {
	resRule := func(verbs, groups, resources, names []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
	}
	urlRule := func(verbs, urls []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: urls}
	}
	s := func(v ...string) []string { return v }
	tests := []struct {
		name  string
		rule  rbacv1.PolicyRule
		attrs Attributes
		want  bool
	}{
		{"exact", resRule(s("get"), s(""), s("pods"), nil), res("get", "", "pods", "dev"), true},
		{"verb mismatch", resRule(s("get"), s(""), s("pods"), nil), res("list", "", "pods", "dev"), false},
		{"verb *", resRule(s("*"), s(""), s("pods"), nil), res("escalate", "", "pods", "dev"), true},
		{"verbs are case-sensitive", resRule(s("GET"), s(""), s("pods"), nil), res("get", "", "pods", "dev"), false},
		{"core group is not apps", resRule(s("get"), s(""), s("deployments"), nil), res("get", "apps", "deployments", "dev"), false},
		{"group *", resRule(s("get"), s("*"), s("deployments"), nil), res("get", "apps", "deployments", "dev"), true},
		{"resource does not cover its subresource", resRule(s("get"), s(""), s("pods"), nil), res("get", "", "pods/log", "dev"), false},
		{"subresource form", resRule(s("get"), s(""), s("pods/log"), nil), res("get", "", "pods/log", "dev"), true},
		{"subresource form does not cover the resource", resRule(s("get"), s(""), s("pods/log"), nil), res("get", "", "pods", "dev"), false},
		{"resource * covers subresources", resRule(s("get"), s(""), s("*"), nil), res("get", "", "pods/log", "dev"), true},
		{"*/scale covers any scale", resRule(s("update"), s("*"), s("*/scale"), nil), res("update", "apps", "deployments/scale", "dev"), true},
		{"*/scale does not cover the resource", resRule(s("update"), s("*"), s("*/scale"), nil), res("update", "apps", "deployments", "dev"), false},
		{"*/scale does not cover another subresource", resRule(s("update"), s("*"), s("*/scale"), nil), res("update", "apps", "deployments/status", "dev"), false},
		{"*/scale does not cover a longer one", resRule(s("update"), s("*"), s("*/scale"), nil), res("update", "apps", "deployments/xscale", "dev"), false},
		{"resource name matches", resRule(s("get"), s(""), s("configmaps"), s("app")), named(res("get", "", "configmaps", "dev"), "app"), true},
		{"other resource name", resRule(s("get"), s(""), s("configmaps"), s("app")), named(res("get", "", "configmaps", "dev"), "other"), false},
		{"resource names never cover list", resRule(s("list"), s(""), s("configmaps"), s("app")), res("list", "", "configmaps", "dev"), false},
		{"resource rule gives no URL", resRule(s("*"), s("*"), s("*"), nil), nonRes("get", "/healthz"), false},
		{"URL rule gives no resource", urlRule(s("*"), s("*")), res("get", "", "pods", "dev"), false},
		{"URL exact", urlRule(s("get"), s("/healthz")), nonRes("get", "/healthz"), true},
		{"URL exact is not a prefix", urlRule(s("get"), s("/healthz")), nonRes("get", "/healthz/etcd"), false},
		{"URL prefix", urlRule(s("get"), s("/healthz/*")), nonRes("get", "/healthz/etcd"), true},
		{"URL prefix needs the slash", urlRule(s("get"), s("/healthz/*")), nonRes("get", "/healthz"), false},
		{"URL bare prefix", urlRule(s("get"), s("/api*")), nonRes("get", "/apis/apps"), true},
		{"URL *", urlRule(s("get"), s("*")), nonRes("get", "/metrics"), true},
		{"URL verb", urlRule(s("get"), s("*")), nonRes("post", "/metrics"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.attrs
			if got := ruleAllows(&tt.rule, newRequest(&a)); got != tt.want {
				t.Fatalf("ruleAllows = %v, want %v", got, tt.want)
			}
		})
	}
}

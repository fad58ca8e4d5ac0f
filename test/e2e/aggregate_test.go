package e2e

import (
	"strings"
	"testing"
)

// The harness runs no kube-controller-manager; it aggregates the
// ClusterRoles once (harness.AggregateClusterRoles), so that the bootstrap
// view, edit and admin have the rules of the system:aggregate-to-* roles,
// as on a real cluster, and a binding to view lets its subject read pods.
func TestHarnessAggregatesClusterRoles(t *testing.T) {
	c := cluster(t)
	for _, role := range []string{"view", "edit", "admin"} {
		r := kubectl(t, c, "", c.AdminKubeconfig, "auth", "can-i", "list", "pods", "-n", "default",
			"--as", "h-aggregate-probe", "--as-group", "h-aggregate-"+role)
		if !strings.HasPrefix(r.Stdout, "no") {
			t.Fatalf("before any binding, the probe can list pods: %q", r.Stdout)
		}
		mustSucceed(t, kubectl(t, c, "", c.AdminKubeconfig, "create", "rolebinding", "h-aggregate-"+role, "-n", "default",
			"--clusterrole", role, "--group", "h-aggregate-"+role))
		r = kubectl(t, c, "", c.AdminKubeconfig, "auth", "can-i", "list", "pods", "-n", "default",
			"--as", "h-aggregate-probe", "--as-group", "h-aggregate-"+role)
		if !strings.HasPrefix(r.Stdout, "yes") {
			t.Errorf("a binding to ClusterRole %s does not allow listing pods: %q %q", role, r.Stdout, r.Stderr)
		}
	}
}

package cli

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/kube"
)

// liveRBACTimeout bounds reading RBAC from the cluster: explain must not
// hang on an unreachable cluster, it says so instead.
const liveRBACTimeout = 10 * time.Second

// withLiveRBAC completes the server's report, which cannot see the
// cluster's RBAC, with the RBAC of the kubeconfig's cluster when the
// request is left to RBAC. It only reads (list), and says which source
// decided: live, or none and why.
func withLiveRBAC(ctx context.Context, d diagDeps, f explainFlags, r explain.Report) explain.Report {
	if r.Request == nil || !r.Mapped || r.Request.Allowed {
		return r
	}
	if !f.liveRBAC {
		return explain.ApplyRBAC(r, nil, "none (--live-rbac=false)", f.cred.clusterID)
	}
	newClient := d.newKubeClient
	if newClient == nil {
		newClient = kube.NewClient
	}
	client, err := newClient(kube.ClientOptions{Kubeconfig: f.kubeconfig, Context: f.kubeContext, Getenv: d.io.Getenv})
	if err != nil {
		return explain.ApplyRBAC(r, nil, "none: "+err.Error(), f.cred.clusterID)
	}
	ctx, cancel := context.WithTimeout(ctx, liveRBACTimeout)
	defer cancel()
	rbac, err := readLiveRBAC(ctx, client, r.Request.Namespace)
	if err != nil {
		return explain.ApplyRBAC(r, nil, "none: cannot read RBAC from the cluster: "+err.Error(), f.cred.clusterID)
	}
	where := "the current context"
	if f.kubeContext != "" {
		where = "context " + f.kubeContext
	}
	return explain.ApplyRBAC(r, rbac, "live (kubeconfig, "+where+")", f.cred.clusterID)
}

// readLiveRBAC lists the cluster-wide RBAC objects, and the namespaced
// ones of namespace when it is set.
func readLiveRBAC(ctx context.Context, c kubernetes.Interface, namespace string) (*explain.RBAC, error) {
	rb := c.RbacV1()
	crs, err := rb.ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list clusterroles: %w", err)
	}
	crbs, err := rb.ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list clusterrolebindings: %w", err)
	}
	out := &explain.RBAC{ClusterRoles: crs.Items, ClusterRoleBindings: crbs.Items}
	if namespace == "" {
		return out, nil
	}
	roles, err := rb.Roles(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list roles in %s: %w", namespace, err)
	}
	rbs, err := rb.RoleBindings(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list rolebindings in %s: %w", namespace, err)
	}
	out.Roles, out.RoleBindings = roles.Items, rbs.Items
	return out, nil
}

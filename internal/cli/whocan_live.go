package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/rbaceval"
	"github.com/kubeiam/kubeiam/internal/review"
)

// whoCanDeps are who-can's connections to the live cluster.
type whoCanDeps struct {
	io IO
	// kube returns a clientset for the kubeconfig flags.
	kube func(o kube.ClientOptions) (kubernetes.Interface, error)
	// eks returns kubeiam's API client, as every access-management command
	// builds it (so it authenticates as they do).
	eks func(ctx context.Context, o *eksOptions) (*eks.Client, error)
}

func defaultWhoCanDeps(s IO) whoCanDeps {
	return whoCanDeps{io: s, kube: kube.NewClient,
		eks: func(ctx context.Context, o *eksOptions) (*eks.Client, error) { return o.client(ctx) }}
}

// live reads every source from the running cluster, read-only.
func (d whoCanDeps) live(ctx context.Context, f whoCanFlags) (review.Input, error) {
	in := review.Input{CreatorARN: f.files.creator}
	if err := f.eks.validate(); err != nil {
		return in, err
	}
	c, err := d.eks(ctx, &f.eks)
	if err != nil {
		return in, err
	}
	if in.Mode, err = liveMode(ctx, c, &f.eks); err != nil {
		return in, err
	}
	if in.Mode.UsesAccessEntries() {
		if in.Entries, in.Associations, err = LiveAccessEntries(ctx, c, f.eks.clusterName); err != nil {
			return in, apiFailure(&f.eks, err)
		}
	}
	cs, err := d.kube(kube.ClientOptions{Kubeconfig: f.kubeconfig, Context: f.kubeCtx, Getenv: d.io.Getenv})
	if err != nil {
		return in, withExitCode(2, err)
	}
	if in.AWSAuth, err = readLiveAWSAuth(ctx, cs); err != nil {
		return in, withExitCode(1, err)
	}
	if in.RBAC, err = liveRBAC(ctx, cs); err != nil {
		return in, withExitCode(1, err)
	}
	return in, nil
}

func liveMode(ctx context.Context, c *eks.Client, o *eksOptions) (access.Mode, error) {
	out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(o.clusterName)})
	if err != nil {
		return "", apiFailure(o, err)
	}
	if out.Cluster == nil || out.Cluster.AccessConfig == nil {
		return access.ModeConfigMap, nil
	}
	return access.ParseMode(string(out.Cluster.AccessConfig.AuthenticationMode))
}

// LiveAccessEntries reads every access entry and its associated policies
// through the EKS API.
func LiveAccessEntries(ctx context.Context, c *eks.Client, cluster string) ([]access.AccessEntry, []access.AccessPolicyAssociation, error) {
	var entries []access.AccessEntry
	var assocs []access.AccessPolicyAssociation
	p := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, principal := range page.AccessEntries {
			e, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
			if err != nil {
				return nil, nil, err
			}
			ae := e.AccessEntry
			entries = append(entries, access.AccessEntry{PrincipalARN: principal, Username: aws.ToString(ae.Username),
				KubernetesGroups: ae.KubernetesGroups, Type: access.EntryType(aws.ToString(ae.Type))})
			pp := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)})
			for pp.HasMorePages() {
				ap, err := pp.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, a := range ap.AssociatedAccessPolicies {
					s := authz.Scope{}
					if a.AccessScope != nil {
						s = authz.Scope{Type: authz.ScopeType(a.AccessScope.Type), Namespaces: a.AccessScope.Namespaces}
					}
					assocs = append(assocs, access.AccessPolicyAssociation{PrincipalARN: principal, PolicyARN: aws.ToString(a.PolicyArn), Scope: s})
				}
			}
		}
	}
	return entries, assocs, nil
}

// readLiveAWSAuth reads kube-system/aws-auth. A ConfigMap with errors is not
// in force on the server (it keeps the previous version), which who-can
// cannot know: that is a failure, not a guess.
func readLiveAWSAuth(ctx context.Context, cs kubernetes.Interface) (*awsauth.Document, error) {
	snap, err := kube.NewConfigMap(cs, "", "").Get(ctx)
	if err != nil {
		return nil, err
	}
	if !snap.Exists {
		return nil, nil
	}
	doc, problems, err := awsauth.Parse(snap.Data)
	if err != nil {
		return nil, fmt.Errorf("aws-auth: %w", err)
	}
	if problems.HasErrors() {
		return nil, fmt.Errorf("aws-auth: %s (the server keeps its previous version, which who-can cannot read)", problems.Errors()[0])
	}
	return doc, nil
}

// liveRBAC lists every Role, ClusterRole and binding.
func liveRBAC(ctx context.Context, cs kubernetes.Interface) (*rbaceval.RBAC, error) {
	r := &rbaceval.RBAC{}
	rb := cs.RbacV1()
	crs, err := rb.ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list clusterroles: %w", err)
	}
	r.ClusterRoles = crs.Items
	roles, err := rb.Roles("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	r.Roles = roles.Items
	crbs, err := rb.ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list clusterrolebindings: %w", err)
	}
	r.ClusterRoleBindings = crbs.Items
	rbs, err := rb.RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list rolebindings: %w", err)
	}
	r.RoleBindings = rbs.Items
	return r, nil
}

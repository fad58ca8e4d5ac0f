package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
)

// policyARNPrefix turns a short policy name into its ARN.
const policyARNPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// policyARN accepts a full ARN or a short name like AmazonEKSViewPolicy.
func policyARN(s string) string {
	if strings.HasPrefix(s, "arn:") {
		return s
	}
	return policyARNPrefix + s
}

// associationView is a policy association as kubeiam prints it.
type associationView struct {
	PolicyARN    string   `json:"policyArn"`
	ScopeType    string   `json:"scopeType"`
	Namespaces   []string `json:"namespaces,omitempty"`
	AssociatedAt string   `json:"associatedAt"`
	ModifiedAt   string   `json:"modifiedAt"`
}

func toAssociationView(a *types.AssociatedAccessPolicy) associationView {
	v := associationView{PolicyARN: aws.ToString(a.PolicyArn), AssociatedAt: formatTime(a.AssociatedAt), ModifiedAt: formatTime(a.ModifiedAt)}
	if a.AccessScope != nil {
		v.ScopeType, v.Namespaces = string(a.AccessScope.Type), a.AccessScope.Namespaces
	}
	return v
}

func associationTable(w io.Writer, views []associationView) {
	fmt.Fprintln(w, "POLICY\tSCOPE\tNAMESPACES\tASSOCIATED")
	for _, v := range views {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", strings.TrimPrefix(v.PolicyARN, policyARNPrefix), dash(v.ScopeType), dash(strings.Join(v.Namespaces, ",")), dash(v.AssociatedAt))
	}
}

func newAccessPolicyCommand(s IO) *cobra.Command {
	o := &eksOptions{}
	cmd := groupCommand(s, "access-policy", "Associate access policies with access entries, and list them",
		`Access-policy associates the managed access policies (AmazonEKSClusterAdminPolicy,
AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSViewPolicy,
AmazonEKSAdminViewPolicy) with access entries, cluster-wide or in some
namespaces, through kubeiam's EKS-compatible API, as "aws eks
associate-access-policy" and friends do. "catalog" works offline.

Policies may be named by full ARN or short name. The scope is given either as
--access-scope type=namespace,namespaces=a,b (as the AWS CLI takes it) or as
--scope namespace --namespaces a,b. Namespaces may use '*' ("dev-*").
Exit status: 0 done, 1 refused by the API, 2 bad usage.`, o)
	cmd.AddCommand(newPolicyAssociateCommand(s, o), newPolicyDisassociateCommand(s, o), newPolicyListCommand(s, o), newPolicyCatalogCommand(s, o))
	return cmd
}

func newPolicyAssociateCommand(s IO, o *eksOptions) *cobra.Command {
	var principal, policy, accessScope, scope string
	var namespaces []string
	cmd := &cobra.Command{
		Use:   "associate --principal-arn ARN --policy-arn POLICY (--access-scope SCOPE | --scope cluster|namespace [--namespaces NS,...])",
		Short: "Associate an access policy with an access entry, in a scope",
		Example: `  # Read-only in the dev namespaces
  kubeiam access-policy associate --principal-arn arn:aws:iam::111122223333:role/Developer \
    --policy-arn AmazonEKSViewPolicy --access-scope type=namespace,namespaces=dev,dev-*

  # The same, spelled the other way
  kubeiam access-policy associate --principal-arn arn:aws:iam::111122223333:role/Developer \
    --policy-arn AmazonEKSViewPolicy --scope namespace --namespaces dev,dev-*

  # Cluster admin
  kubeiam access-policy associate --principal-arn arn:aws:iam::111122223333:role/Admin \
    --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy --scope cluster`,
	}
	f := cmd.Flags()
	f.StringVar(&principal, "principal-arn", "", "the entry's principal ARN (required)")
	f.StringVar(&policy, "policy-arn", "", "policy ARN or short name such as AmazonEKSViewPolicy (required)")
	f.StringVar(&accessScope, "access-scope", "", "type=cluster, or type=namespace,namespaces=a,b")
	f.StringVar(&scope, "scope", "", "cluster or namespace")
	f.StringSliceVar(&namespaces, "namespaces", nil, "namespaces of a namespace scope, comma-separated")
	var sc *types.AccessScope
	// Before leaf's RunE builds a client: a scope the API would refuse
	// needs no credentials and sends nothing.
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if err := o.validate(); err != nil {
			return err
		}
		if err := requirePrincipal(principal); err != nil {
			return err
		}
		if policy == "" {
			return withExitCode(2, errors.New("--policy-arn is required; see the policies with: kubeiam access-policy catalog"))
		}
		var err error
		sc, err = parseScopeFlags(accessScope, scope, namespaces)
		return err
	}
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		out, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: aws.String(o.clusterName),
			PrincipalArn: aws.String(principal), PolicyArn: aws.String(policyARN(policy)), AccessScope: sc})
		if err != nil {
			return apiFailure(o, err)
		}
		views := []associationView{}
		if out.AssociatedAccessPolicy != nil {
			views = append(views, toAssociationView(out.AssociatedAccessPolicy))
		}
		var v any = views
		if len(views) == 1 {
			v = views[0]
		}
		return render(s.Out, o.output, v, func(w io.Writer) { associationTable(w, views) })
	})
}

// parseScopeFlags reads the scope from --access-scope, or --scope and
// --namespaces; exactly one form is required.
func parseScopeFlags(accessScope, scope string, namespaces []string) (*types.AccessScope, error) {
	switch {
	case accessScope != "" && (scope != "" || len(namespaces) > 0):
		return nil, withExitCode(2, errors.New("give the scope either as --access-scope or as --scope/--namespaces, not both"))
	case accessScope != "":
		sc := &types.AccessScope{}
		// "type=namespace,namespaces=a,b": values after namespaces= run to the end.
		for _, part := range strings.Split(accessScope, ",") {
			k, v, ok := strings.Cut(part, "=")
			switch {
			case ok && k == "type":
				sc.Type = types.AccessScopeType(v)
			case ok && k == "namespaces":
				sc.Namespaces = append(sc.Namespaces, v)
			case !ok && len(sc.Namespaces) > 0:
				sc.Namespaces = append(sc.Namespaces, part)
			default:
				return nil, withExitCode(2, fmt.Errorf("--access-scope %q: use type=cluster or type=namespace,namespaces=a,b", accessScope))
			}
		}
		if sc.Type == "" {
			return nil, withExitCode(2, fmt.Errorf("--access-scope %q has no type=", accessScope))
		}
		return checkScope(sc)
	case scope != "":
		return checkScope(&types.AccessScope{Type: types.AccessScopeType(scope), Namespaces: namespaces})
	case len(namespaces) > 0:
		return checkScope(&types.AccessScope{Type: types.AccessScopeTypeNamespace, Namespaces: namespaces})
	}
	return nil, withExitCode(2, errors.New("a scope is required: --scope cluster, or --scope namespace --namespaces a,b"))
}

// checkScope refuses a scope the API would refuse, with the API's own
// message (access.ValidateScope): bad usage.
func checkScope(sc *types.AccessScope) (*types.AccessScope, error) {
	if err := access.ValidateScope(authz.Scope{Type: authz.ScopeType(sc.Type), Namespaces: sc.Namespaces}); err != nil {
		return nil, withExitCode(2, err)
	}
	return sc, nil
}

func newPolicyDisassociateCommand(s IO, o *eksOptions) *cobra.Command {
	var principal, policy string
	cmd := &cobra.Command{
		Use:     "disassociate --principal-arn ARN --policy-arn POLICY",
		Short:   "Remove an access policy from an access entry",
		Example: `  kubeiam access-policy disassociate --principal-arn arn:aws:iam::111122223333:role/Developer --policy-arn AmazonEKSViewPolicy`,
	}
	cmd.Flags().StringVar(&principal, "principal-arn", "", "the entry's principal ARN (required)")
	cmd.Flags().StringVar(&policy, "policy-arn", "", "policy ARN or short name (required)")
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		if err := requirePrincipal(principal); err != nil {
			return err
		}
		if policy == "" {
			return withExitCode(2, errors.New("--policy-arn is required"))
		}
		_, err := c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String(o.clusterName),
			PrincipalArn: aws.String(principal), PolicyArn: aws.String(policyARN(policy))})
		if err != nil {
			return apiFailure(o, err)
		}
		return render(s.Out, o.output, map[string]string{"disassociated": policyARN(policy), "principalArn": principal}, func(w io.Writer) {
			fmt.Fprintf(w, "disassociated %s from %s\n", policyARN(policy), principal)
		})
	})
}

func newPolicyListCommand(s IO, o *eksOptions) *cobra.Command {
	var principal string
	cmd := &cobra.Command{
		Use:     "list --principal-arn ARN",
		Short:   "List the access policies associated with an access entry",
		Example: `  kubeiam access-policy list --principal-arn arn:aws:iam::111122223333:role/Developer`,
	}
	cmd.Flags().StringVar(&principal, "principal-arn", "", "the entry's principal ARN (required)")
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		if err := requirePrincipal(principal); err != nil {
			return err
		}
		views := []associationView{}
		p := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(o.clusterName), PrincipalArn: aws.String(principal)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return apiFailure(o, err)
			}
			for i := range out.AssociatedAccessPolicies {
				views = append(views, toAssociationView(&out.AssociatedAccessPolicies[i]))
			}
		}
		return render(s.Out, o.output, map[string]any{"principalArn": principal, "associatedAccessPolicies": views}, func(w io.Writer) { associationTable(w, views) })
	})
}

// catalogView is one managed access policy as "catalog" prints it.
type catalogView struct {
	Name        string `json:"name"`
	ARN         string `json:"arn"`
	Description string `json:"description"`
}

func newPolicyCatalogCommand(s IO, o *eksOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "List the managed access policies kubeiam implements (offline)",
		Example: `  kubeiam access-policy catalog
  kubeiam access-policy catalog -o json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var views []catalogView
			for _, p := range authz.Catalog() {
				views = append(views, catalogView{Name: p.Name, ARN: p.ARN, Description: p.Description})
			}
			switch o.output {
			case "table", "json", "yaml":
			default:
				return withExitCode(2, fmt.Errorf("--output %q: use table, json or yaml", o.output))
			}
			return render(s.Out, o.output, views, func(w io.Writer) {
				fmt.Fprintln(w, "NAME\tDESCRIPTION")
				for _, v := range views {
					fmt.Fprintf(w, "%s\t%s\n", v.Name, v.Description)
				}
			})
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	return cmd
}

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
)

// entryView is an access entry as kubeiam prints it.
type entryView struct {
	PrincipalARN     string            `json:"principalArn"`
	Type             string            `json:"type"`
	Username         string            `json:"username"`
	KubernetesGroups []string          `json:"kubernetesGroups"`
	Tags             map[string]string `json:"tags,omitempty"`
	AccessEntryARN   string            `json:"accessEntryArn"`
	CreatedAt        string            `json:"createdAt"`
	ModifiedAt       string            `json:"modifiedAt"`
}

func toEntryView(e *types.AccessEntry) entryView {
	if e == nil {
		return entryView{}
	}
	groups := e.KubernetesGroups
	if groups == nil {
		groups = []string{}
	}
	return entryView{PrincipalARN: aws.ToString(e.PrincipalArn), Type: aws.ToString(e.Type), Username: aws.ToString(e.Username),
		KubernetesGroups: groups, Tags: e.Tags, AccessEntryARN: aws.ToString(e.AccessEntryArn),
		CreatedAt: formatTime(e.CreatedAt), ModifiedAt: formatTime(e.ModifiedAt)}
}

func renderEntry(s IO, o *eksOptions, e *types.AccessEntry) error {
	v := toEntryView(e)
	return render(s.Out, o.output, v, func(w io.Writer) {
		fmt.Fprintln(w, "PRINCIPAL ARN\tTYPE\tUSERNAME\tGROUPS\tCREATED")
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.PrincipalARN, dash(v.Type), dash(v.Username), dash(strings.Join(v.KubernetesGroups, ",")), dash(v.CreatedAt))
	})
}

func newAccessEntryCommand(s IO) *cobra.Command {
	o := &eksOptions{}
	cmd := groupCommand(s, "access-entry", "Create, show, change and delete access entries",
		`Access-entry manages the cluster's access entries through kubeiam's EKS-compatible
API, as the "aws eks ...-access-entry" commands do. An access entry maps an IAM
principal (a user, or a role and all its sessions) to a Kubernetes username and
groups; policies are associated with it by "kubeiam access-policy associate".

Access entries need an authentication mode that uses them:
  kubeiam cluster update-config --authentication-mode API_AND_CONFIG_MAP

Requests are signed with your AWS credentials (the default chain, or --profile);
only the cluster creator and the configured managers may call them.
Exit status: 0 done, 1 refused by the API, 2 bad usage.`, o)
	cmd.AddCommand(newEntryCreateCommand(s, o), newEntryDescribeCommand(s, o), newEntryListCommand(s, o),
		newEntryUpdateCommand(s, o), newEntryDeleteCommand(s, o), newEntryExportCommand(s), newEntryNameCommand(s))
	return cmd
}

// checkUsername refuses, before anything is sent, a custom username the
// API would refuse, with the API's own message (access.ValidateUsername).
// "" is not custom: it asks for the default username.
func checkUsername(u string) error {
	if u == "" {
		return nil
	}
	if err := access.ValidateUsername(u); err != nil {
		return withExitCode(2, err)
	}
	return nil
}

// checkNewEntry refuses, before anything is sent, a create-access-entry the
// API would refuse for its principal, type or username, with the API's own
// message (access.ValidateNewPrincipal, access.ValidateUsername): bad usage.
func checkNewEntry(principal, typ, username string) error {
	if err := requirePrincipal(principal); err != nil {
		return err
	}
	if err := access.ValidateNewPrincipal(principal, typ); err != nil {
		return withExitCode(2, err)
	}
	return checkUsername(username)
}

func requirePrincipal(p string) error {
	if p == "" {
		return withExitCode(2, errors.New("--principal-arn is required, e.g. arn:aws:iam::111122223333:role/Developer"))
	}
	return nil
}

func newEntryCreateCommand(s IO, o *eksOptions) *cobra.Command {
	var principal, username, typ string
	var groups, tags []string
	cmd := &cobra.Command{
		Use:   "create --principal-arn ARN [--kubernetes-groups G,...] [--username U] [--type T] [--tags k=v,...]",
		Short: "Create an access entry for an IAM principal",
		Example: `  # A role whose sessions get the default username and no groups
  kubeiam access-entry create --principal-arn arn:aws:iam::111122223333:role/Developer

  # A user in two RBAC groups, with a username of your choice
  kubeiam access-entry create --principal-arn arn:aws:iam::111122223333:user/alice \
    --kubernetes-groups devs,oncall --username alice --tags team=payments

  # A node role
  kubeiam access-entry create --principal-arn arn:aws:iam::111122223333:role/NodeRole --type EC2_LINUX`,
	}
	f := cmd.Flags()
	f.StringVar(&principal, "principal-arn", "", "IAM user or role ARN (required)")
	f.StringSliceVar(&groups, "kubernetes-groups", nil, "Kubernetes groups, comma-separated (not system:...)")
	f.StringVar(&username, "username", "", "Kubernetes username; default: derived from the principal ({{SessionName}} for roles).\nNot system:, eks:, aws:, amazon: or iam:...; {{SessionName}} or {{SessionNameRaw}} only after a colon (admin:{{SessionName}})")
	f.StringVar(&typ, "type", "", "STANDARD (default), EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, HYPERPOD_LINUX or EC2 (Auto Mode)")
	f.StringSliceVar(&tags, "tags", nil, "tags as key=value, comma-separated")
	// Before leaf's RunE builds a client: a principal, type or username the
	// API would refuse needs no credentials and sends nothing.
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if err := o.validate(); err != nil {
			return err
		}
		return checkNewEntry(principal, typ, username)
	}
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		tagMap, err := parseTags(tags)
		if err != nil {
			return err
		}
		in := &eks.CreateAccessEntryInput{ClusterName: aws.String(o.clusterName), PrincipalArn: aws.String(principal),
			KubernetesGroups: groups, Tags: tagMap}
		if username != "" {
			in.Username = aws.String(username)
		}
		if typ != "" {
			in.Type = aws.String(typ)
		}
		out, err := c.CreateAccessEntry(ctx, in)
		if err != nil {
			return apiFailure(o, err)
		}
		return renderEntry(s, o, out.AccessEntry)
	})
}

// parseTags parses key=value pairs.
func parseTags(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, withExitCode(2, fmt.Errorf("--tags %q: use key=value", p))
		}
		tags[k] = v
	}
	return tags, nil
}

func newEntryDescribeCommand(s IO, o *eksOptions) *cobra.Command {
	var principal string
	cmd := &cobra.Command{
		Use:     "describe --principal-arn ARN",
		Short:   "Show an access entry",
		Example: `  kubeiam access-entry describe --principal-arn arn:aws:iam::111122223333:role/Developer -o yaml`,
	}
	cmd.Flags().StringVar(&principal, "principal-arn", "", "the entry's principal ARN (required); a session ARN finds its role's entry")
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		if err := requirePrincipal(principal); err != nil {
			return err
		}
		out, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String(o.clusterName), PrincipalArn: aws.String(principal)})
		if err != nil {
			return apiFailure(o, err)
		}
		return renderEntry(s, o, out.AccessEntry)
	})
}

func newEntryListCommand(s IO, o *eksOptions) *cobra.Command {
	var policy string
	cmd := &cobra.Command{
		Use:   "list [--associated-policy-arn POLICY]",
		Short: "List the principals that have access entries",
		Example: `  kubeiam access-entry list

  # Who has cluster admin?
  kubeiam access-entry list --associated-policy-arn AmazonEKSClusterAdminPolicy`,
	}
	cmd.Flags().StringVar(&policy, "associated-policy-arn", "", "only entries with this policy (full ARN or short name)")
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		in := &eks.ListAccessEntriesInput{ClusterName: aws.String(o.clusterName)}
		if policy != "" {
			in.AssociatedPolicyArn = aws.String(policyARN(policy))
		}
		principals := []string{}
		p := eks.NewListAccessEntriesPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return apiFailure(o, err)
			}
			principals = append(principals, out.AccessEntries...)
		}
		return render(s.Out, o.output, map[string][]string{"accessEntries": principals}, func(w io.Writer) {
			fmt.Fprintln(w, "PRINCIPAL ARN")
			for _, pr := range principals {
				fmt.Fprintln(w, pr)
			}
		})
	})
}

func newEntryUpdateCommand(s IO, o *eksOptions) *cobra.Command {
	var principal, username string
	var groups []string
	cmd := &cobra.Command{
		Use:   "update --principal-arn ARN [--kubernetes-groups G,...] [--username U]",
		Short: "Change an access entry's Kubernetes groups or username",
		Example: `  # Replace the groups
  kubeiam access-entry update --principal-arn arn:aws:iam::111122223333:role/Developer --kubernetes-groups devs

  # Remove every group, restore the default username
  kubeiam access-entry update --principal-arn arn:aws:iam::111122223333:role/Developer --kubernetes-groups "" --username ""`,
	}
	f := cmd.Flags()
	f.StringVar(&principal, "principal-arn", "", "the entry's principal ARN (required)")
	f.StringSliceVar(&groups, "kubernetes-groups", nil, `new groups, replacing the old ones; "" removes them all`)
	f.StringVar(&username, "username", "", `new username; "" restores the default`)
	cmd.PreRunE = func(*cobra.Command, []string) error { return checkUsername(username) }
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		if err := requirePrincipal(principal); err != nil {
			return err
		}
		in := &eks.UpdateAccessEntryInput{ClusterName: aws.String(o.clusterName), PrincipalArn: aws.String(principal)}
		if f.Changed("kubernetes-groups") {
			in.KubernetesGroups = nonEmpty(groups)
		}
		if f.Changed("username") {
			in.Username = aws.String(username)
		}
		if !f.Changed("kubernetes-groups") && !f.Changed("username") {
			return withExitCode(2, errors.New("nothing to update: pass --kubernetes-groups and/or --username"))
		}
		out, err := c.UpdateAccessEntry(ctx, in)
		if err != nil {
			return apiFailure(o, err)
		}
		return renderEntry(s, o, out.AccessEntry)
	})
}

// nonEmpty drops empty strings, so that --kubernetes-groups "" means none;
// the result is never nil, so the SDK sends [] rather than nothing.
func nonEmpty(values []string) []string {
	out := []string{}
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func newEntryDeleteCommand(s IO, o *eksOptions) *cobra.Command {
	var principal string
	cmd := &cobra.Command{
		Use:     "delete --principal-arn ARN",
		Short:   "Delete an access entry and its policy associations",
		Example: `  kubeiam access-entry delete --principal-arn arn:aws:iam::111122223333:role/Developer`,
	}
	cmd.Flags().StringVar(&principal, "principal-arn", "", "the entry's principal ARN (required)")
	return leaf(cmd, o, func(ctx context.Context, c *eks.Client) error {
		if err := requirePrincipal(principal); err != nil {
			return err
		}
		if _, err := c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String(o.clusterName), PrincipalArn: aws.String(principal)}); err != nil {
			return apiFailure(o, err)
		}
		return render(s.Out, o.output, map[string]string{"deleted": principal}, func(w io.Writer) {
			fmt.Fprintf(w, "deleted access entry %s and its policy associations\n", principal)
		})
	})
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/migrate"
)

// migrateOptions are the flags of "kubeiam migrate".
type migrateOptions struct {
	awsAuth                            awsAuthOptions
	endpoint, cluster, profile, region string
	auth, caFile                       string
	accessEntries                      string
	final, insecureHTTP                bool
	modeWait                           time.Duration
}

// migrateDeps is what "kubeiam migrate" needs beyond IO; tests replace it.
type migrateDeps struct {
	IO
	NewClient func(kube.ClientOptions) (kubernetes.Interface, error)
	// NewEKS returns the client of the access-management API.
	NewEKS func(ctx context.Context, o *migrateOptions) (*eks.Client, error)
	// Sleep waits between checks of a mode change.
	Sleep func(time.Duration)
}

func newMigrateCommand(s IO) *cobra.Command {
	return newMigrateCommandWith(migrateDeps{IO: s, NewClient: kube.NewClient, NewEKS: migrateEKSClient, Sleep: time.Sleep})
}

func newMigrateCommandWith(d migrateDeps) *cobra.Command {
	o := &migrateOptions{}
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Move the aws-auth mappings to access entries",
		Long: `"migrate plan" reads aws-auth (live, or -f FILE) and the existing access entries (through
the access-management API, or offline with --access-entries FILE) and prints, for each
mapping, the access entry it becomes: system:masters becomes an
AmazonEKSClusterAdminPolicy association at cluster scope (access entries refuse system:
groups), other groups become kubernetesGroups, node roles become EC2_LINUX (EC2_WINDOWS,
FARGATE_LINUX) entries, and a role's username is kept as EKS accepts it (admin:{{SessionName}}:
a session name after a colon). Mappings entries cannot express — mapAccounts, IAM Identity
Center permission sets, {{AccessKeyID}} usernames, {{SessionName}} with no colon before it
or in a user's username, other system: groups — are manual steps naming what blocks them;
entries that exist and differ are conflicts, left alone.

"migrate apply" carries the plan out through the API, idempotently. A cluster in
CONFIG_MAP mode is first moved to API_AND_CONFIG_MAP, where access entries can be created
and aws-auth still applies (an entry wins where both map a principal); with --final, and
only when every mapping has an equivalent entry, it then moves to API. It never edits
aws-auth: it lists the mappings that are now redundant, with the command that removes
each.

--access-entries FILE is a JSON list with one object per entry, each the output of
"aws eks describe-access-entry" merged with that of "aws eks
list-associated-access-policies":

  [{"accessEntry": {"principalArn": "...", "username": "...", "kubernetesGroups": [...], "type": "STANDARD"},
    "associatedAccessPolicies": [{"policyArn": "...", "accessScope": {"type": "cluster"}}]}]`,
		Example: `  kubeiam migrate plan
  kubeiam migrate plan -f aws-auth.yaml --access-entries entries.json
  kubeiam migrate apply
  kubeiam migrate apply --final`,
	}
	f := cmd.PersistentFlags()
	f.StringVarP(&o.awsAuth.file, "file", "f", "", "read aws-auth from this file instead of the cluster")
	f.StringVar(&o.awsAuth.kubeconfig, "kubeconfig", "", "kubeconfig file; default $KUBECONFIG, ~/.kube/config, or in-cluster")
	f.StringVar(&o.awsAuth.context, "context", "", "kubeconfig context")
	f.StringVarP(&o.awsAuth.namespace, "namespace", "n", kube.DefaultNamespace, "namespace of the aws-auth ConfigMap")
	f.StringVar(&o.awsAuth.name, "name", kube.DefaultName, "name of the aws-auth ConfigMap")
	addEndpointFlag(f, &o.endpoint, d.IO)
	addClusterFlag(f, &o.cluster, d.IO, "whose access entries are read and created")
	f.StringVar(&o.profile, "profile", "", "AWS profile to sign API calls with")
	f.StringVar(&o.region, "region", "", "AWS region to sign API calls for; default from the AWS config, else us-east-1")
	f.StringVar(&o.auth, "auth", "token", `how to authenticate to the API: "token" (a k8s-aws-v1 token minted for the API) or "sigv4"`)
	f.StringVar(&o.caFile, "ca-file", "", "CA bundle for an https endpoint; default $KUBEIAM_CA")
	f.BoolVar(&o.insecureHTTP, insecureHTTPFlag, false, insecureHTTPHelp)
	plan := &cobra.Command{Use: "plan", Short: "Print what each aws-auth mapping becomes", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		return runMigratePlan(cmd.Context(), d, o)
	}}
	plan.Flags().StringVar(&o.accessEntries, "access-entries", "", "read the existing entries from this JSON file instead of the API")
	apply := &cobra.Command{Use: "apply", Short: "Create the planned entries and associations, and move the mode forward", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		return runMigrateApply(cmd.Context(), d, o)
	}}
	apply.Flags().BoolVar(&o.final, "final", false, "then switch to API mode, when every mapping has an equivalent access entry")
	apply.Flags().DurationVar(&o.modeWait, "mode-wait", 10*time.Minute, "how long to wait for a mode change to take effect")
	for _, c := range []*cobra.Command{plan, apply} {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
		cmd.AddCommand(c)
	}
	return cmd
}

func (o *migrateOptions) defaults(getenv func(string) string) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if o.caFile == "" {
		o.caFile = getenv("KUBEIAM_CA")
	}
}

// needAPI checks the flags the access-management API needs, before
// aws-auth or any credential is read: usage errors exit 2.
func (o *migrateOptions) needAPI() error {
	if err := requireEndpoint(o.endpoint); err != nil {
		return err
	}
	return requireCluster(o.cluster)
}

// migrateEKSClient builds the same EKS client the access-entry commands
// use (credentials, --profile, --region, --auth, --ca-file), pointed at the
// kubeiam endpoint.
func migrateEKSClient(ctx context.Context, o *migrateOptions) (*eks.Client, error) {
	e := eksOptions{endpoint: o.endpoint, clusterName: o.cluster, profile: o.profile, region: o.region, auth: o.auth, caFile: o.caFile,
		insecureHTTP: o.insecureHTTP}
	return e.client(ctx)
}

// readAWSAuthDoc reads and parses aws-auth for the migration.
func readAWSAuthDoc(ctx context.Context, d migrateDeps, o *migrateOptions) (*awsauth.Document, error) {
	t, err := newAWSAuthTarget(awsAuthDeps{IO: d.IO, NewClient: d.NewClient}, &o.awsAuth)
	if err != nil {
		return nil, err
	}
	data, _, err := t.read(ctx)
	if err != nil {
		return nil, err
	}
	doc, _, err := awsauth.Parse(data)
	if err != nil {
		return nil, withExitCode(1, fmt.Errorf("%s: %w; fix it first (kubeiam aws-auth validate)", t, err))
	}
	return doc, nil
}

func runMigratePlan(ctx context.Context, d migrateDeps, o *migrateOptions) error {
	o.defaults(d.Getenv)
	if o.accessEntries == "" {
		if err := o.needAPI(); err != nil {
			return err
		}
	}
	doc, err := readAWSAuthDoc(ctx, d, o)
	if err != nil {
		return err
	}
	var existing []migrate.Existing
	if o.accessEntries != "" {
		if existing, err = migrateReadEntriesFile(o.accessEntries); err != nil {
			return withExitCode(2, err)
		}
	} else {
		client, err := d.NewEKS(ctx, o)
		if err != nil {
			return err
		}
		if existing, err = migrateFetchEntries(ctx, client, o.cluster); err != nil {
			return migrateAPIError(o, err)
		}
	}
	p := migrate.NewPlan(doc, existing)
	printMigratePlan(d.Out, p)
	return nil
}

func printMigratePlan(w io.Writer, p migrate.Plan) {
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	for _, it := range p.Items {
		fmt.Fprintf(w, "%s[%d] %s\n  %s: %s\n", it.Mapping.Source, it.Mapping.Index, it.Mapping.ARN, it.Action, it.Reason)
		for _, a := range it.Associations {
			fmt.Fprintf(w, "  associate %s at %s scope\n", a.PolicyARN, a.Scope)
		}
	}
	fmt.Fprintf(w, "%d to create, %d existing, %d conflicts, %d manual, %d ignored\n",
		p.Count(migrate.ActionCreate), p.Count(migrate.ActionSkipExists), p.Count(migrate.ActionConflict), p.Count(migrate.ActionManual), p.Count(migrate.ActionIgnore))
}

// migrateEntryFileItem is one object of the --access-entries file.
type migrateEntryFileItem struct {
	AccessEntry struct {
		PrincipalARN     string   `json:"principalArn"`
		Username         string   `json:"username"`
		KubernetesGroups []string `json:"kubernetesGroups"`
		Type             string   `json:"type"`
	} `json:"accessEntry"`
	AssociatedAccessPolicies []struct {
		PolicyARN   string `json:"policyArn"`
		AccessScope struct {
			Type       string   `json:"type"`
			Namespaces []string `json:"namespaces"`
		} `json:"accessScope"`
	} `json:"associatedAccessPolicies"`
}

func migrateReadEntriesFile(path string) ([]migrate.Existing, error) {
	b, err := readInput(path)
	if err != nil {
		return nil, fmt.Errorf("--access-entries: %w", err)
	}
	var items []migrateEntryFileItem
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, fmt.Errorf("--access-entries %s: want a JSON list of describe-access-entry outputs (see kubeiam migrate --help): %w", path, err)
	}
	out := make([]migrate.Existing, 0, len(items))
	for i, it := range items {
		e := it.AccessEntry
		if e.PrincipalARN == "" {
			return nil, fmt.Errorf("--access-entries %s: item %d has no accessEntry.principalArn", path, i)
		}
		ex := migrate.Existing{Entry: access.AccessEntry{PrincipalARN: e.PrincipalARN, Username: e.Username, KubernetesGroups: e.KubernetesGroups, Type: access.EntryType(e.Type)}}
		for _, a := range it.AssociatedAccessPolicies {
			ex.Associations = append(ex.Associations, access.AccessPolicyAssociation{PrincipalARN: e.PrincipalARN, PolicyARN: a.PolicyARN,
				Scope: authz.Scope{Type: authz.ScopeType(a.AccessScope.Type), Namespaces: a.AccessScope.Namespaces}})
		}
		out = append(out, ex)
	}
	return out, nil
}

// migrateFetchEntries lists the access entries with their associations. A
// cluster in CONFIG_MAP mode has none (the API refuses to list them).
func migrateFetchEntries(ctx context.Context, c *eks.Client, cluster string) ([]migrate.Existing, error) {
	var out []migrate.Existing
	pages := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: &cluster})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if migrateErrorCode(err) == string(access.InvalidRequestException) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, p := range page.AccessEntries {
			desc, err := c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: &cluster, PrincipalArn: aws.String(p)})
			if err != nil {
				return nil, err
			}
			e := desc.AccessEntry
			ex := migrate.Existing{Entry: access.AccessEntry{PrincipalARN: aws.ToString(e.PrincipalArn), Username: aws.ToString(e.Username),
				KubernetesGroups: e.KubernetesGroups, Type: access.EntryType(aws.ToString(e.Type))}}
			assocs := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{ClusterName: &cluster, PrincipalArn: aws.String(p)})
			for assocs.HasMorePages() {
				ap, err := assocs.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, a := range ap.AssociatedAccessPolicies {
					scope := authz.Scope{}
					if a.AccessScope != nil {
						scope = authz.Scope{Type: authz.ScopeType(a.AccessScope.Type), Namespaces: a.AccessScope.Namespaces}
					}
					ex.Associations = append(ex.Associations, access.AccessPolicyAssociation{PrincipalARN: p, PolicyARN: aws.ToString(a.PolicyArn), Scope: scope})
				}
			}
			out = append(out, ex)
		}
	}
	return out, nil
}

func migrateErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// migrateAPIError says where the failed call went, the usual mistake.
func migrateAPIError(o *migrateOptions, err error) error {
	return withExitCode(1, fmt.Errorf("access-management API at %s, cluster %s: %w\ncheck --endpoint-url, --cluster-name and your AWS credentials (--profile)", o.endpoint, o.cluster, err))
}

func runMigrateApply(ctx context.Context, d migrateDeps, o *migrateOptions) error {
	o.defaults(d.Getenv)
	if err := o.needAPI(); err != nil {
		return err
	}
	doc, err := readAWSAuthDoc(ctx, d, o)
	if err != nil {
		return err
	}
	if ps := awsauth.Validate(doc); ps.HasErrors() {
		return withExitCode(1, errors.New("aws-auth has errors, so the authenticator ignores it; fix them first (kubeiam aws-auth validate)"))
	}
	c, err := d.NewEKS(ctx, o)
	if err != nil {
		return err
	}
	mode, err := migrateClusterMode(ctx, c, o.cluster)
	if err != nil {
		return migrateAPIError(o, err)
	}
	if mode == access.ModeConfigMap {
		// Access entries can only be created once the API consults them;
		// aws-auth keeps applying in API_AND_CONFIG_MAP, so nobody loses access.
		if err := migrateSetMode(ctx, d, c, o, access.ModeAPIAndConfigMap); err != nil {
			return err
		}
		fmt.Fprintf(d.Out, "mode: %s → %s (aws-auth still applies; an access entry wins where both map a principal)\n", mode, access.ModeAPIAndConfigMap)
	}
	existing, err := migrateFetchEntries(ctx, c, o.cluster)
	if err != nil {
		return migrateAPIError(o, err)
	}
	plan := migrate.NewPlan(doc, existing)
	for _, it := range plan.Items {
		if err := migrateApplyItem(ctx, d.Out, c, o.cluster, it); err != nil {
			return migrateAPIError(o, fmt.Errorf("%s[%d] %s: %w", it.Mapping.Source, it.Mapping.Index, it.Mapping.ARN, err))
		}
	}
	if existing, err = migrateFetchEntries(ctx, c, o.cluster); err != nil {
		return migrateAPIError(o, err)
	}
	after := migrate.NewPlan(doc, existing)
	return migrateReport(ctx, d, c, o, after)
}

func migrateApplyItem(ctx context.Context, w io.Writer, c *eks.Client, cluster string, it migrate.Item) error {
	switch it.Action {
	case migrate.ActionCreate:
		in := &eks.CreateAccessEntryInput{ClusterName: &cluster, PrincipalArn: aws.String(it.Entry.PrincipalARN), KubernetesGroups: it.Entry.KubernetesGroups}
		if it.Entry.Username != "" {
			in.Username = aws.String(it.Entry.Username)
		}
		if it.Entry.Type != "" {
			in.Type = aws.String(string(it.Entry.Type))
		}
		if _, err := c.CreateAccessEntry(ctx, in); err != nil && migrateErrorCode(err) != string(access.ResourceInUseException) {
			return err
		}
		fmt.Fprintf(w, "created %s: %s\n", it.Entry.PrincipalARN, it.Reason)
	case migrate.ActionSkipExists:
		if len(it.Associations) == 0 {
			return nil
		}
	default:
		return nil
	}
	for _, a := range it.Associations {
		_, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: &cluster, PrincipalArn: aws.String(it.Entry.PrincipalARN),
			PolicyArn: aws.String(a.PolicyARN), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeType(a.Scope.Type), Namespaces: a.Scope.Namespaces}})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "associated %s with %s at %s scope\n", a.PolicyARN, it.Entry.PrincipalARN, a.Scope)
	}
	return nil
}

// migrateReport prints what is left and, with --final, moves to API mode.
func migrateReport(ctx context.Context, d migrateDeps, c *eks.Client, o *migrateOptions, p migrate.Plan) error {
	var blockers []migrate.Item
	for _, it := range p.Items {
		if it.Action == migrate.ActionManual || it.Action == migrate.ActionConflict || len(it.Associations) > 0 {
			blockers = append(blockers, it)
		}
	}
	for _, it := range blockers {
		fmt.Fprintf(d.Out, "not migrated: %s[%d] %s: %s: %s\n", it.Mapping.Source, it.Mapping.Index, it.Mapping.ARN, it.Action, it.Reason)
	}
	if red := p.Redundant(); len(red) > 0 {
		fmt.Fprintln(d.Out, "these aws-auth mappings are now redundant (an equivalent access entry exists); remove them when you are ready:")
		for _, it := range red {
			fmt.Fprintf(d.Out, "  kubeiam aws-auth remove --arn %s\n", it.Mapping.ARN)
		}
		if o.final && !p.Complete() {
			// A blank line ends the list, so that the refusal printed next
			// (on stderr, often the same terminal) does not read as one of
			// its commands.
			fmt.Fprintln(d.Out)
		}
	}
	if !o.final {
		if p.Complete() {
			fmt.Fprintln(d.Out, "every mapping has an access entry: kubeiam migrate apply --final switches to API mode")
		}
		return nil
	}
	if !p.Complete() {
		return withExitCode(1, fmt.Errorf("not switching to API mode: %d %s above would lose access; migrate them by hand (or remove them from aws-auth) and run again", len(blockers), awsAuthPlural(len(blockers), "mapping")))
	}
	mode, err := migrateClusterMode(ctx, c, o.cluster)
	if err != nil {
		return migrateAPIError(o, err)
	}
	if mode == access.ModeAPI {
		fmt.Fprintln(d.Out, "mode: already API")
		return nil
	}
	if err := migrateSetMode(ctx, d, c, o, access.ModeAPI); err != nil {
		return err
	}
	fmt.Fprintf(d.Out, "mode: %s → %s (aws-auth is no longer consulted)\n", mode, access.ModeAPI)
	return nil
}

func migrateClusterMode(ctx context.Context, c *eks.Client, cluster string) (access.Mode, error) {
	out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: &cluster})
	if err != nil {
		return "", err
	}
	if out.Cluster == nil || out.Cluster.AccessConfig == nil {
		return access.ModeConfigMap, nil
	}
	return access.Mode(out.Cluster.AccessConfig.AuthenticationMode), nil
}

// migrateSetMode asks for a mode change and waits until DescribeCluster reports
// it: EKS applies it asynchronously.
func migrateSetMode(ctx context.Context, d migrateDeps, c *eks.Client, o *migrateOptions, to access.Mode) error {
	_, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: &o.cluster,
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationMode(to)}})
	if err != nil {
		return migrateAPIError(o, fmt.Errorf("switch to %s: %w", to, err))
	}
	const step = 5 * time.Second
	for waited := time.Duration(0); ; waited += step {
		mode, err := migrateClusterMode(ctx, c, o.cluster)
		if err != nil {
			return migrateAPIError(o, err)
		}
		if mode == to {
			return nil
		}
		if waited >= o.modeWait {
			return withExitCode(1, fmt.Errorf("the cluster still reports mode %s after %s; run apply again once it shows %s", mode, o.modeWait, to))
		}
		d.Sleep(step)
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/review"
)

type whoCanFlags struct {
	req                 review.Request
	all                 bool
	files               struct{ awsAuth, entries, mode, creator, rbac string }
	kubeconfig, kubeCtx string
	eks                 eksOptions
}

const whoCanLong = `Who-can lists every IAM principal the cluster lets do a request, and the
path that allows it. A principal is a role (and any session of it), a user,
an IAM Identity Center permission set (every AWSReservedSSO_SET_* role of an
account) or a whole account (mapAccounts). The paths:

  creator        the implicit cluster creator of CONFIG_MAP (system:masters)
  systemMasters  a mapping puts the principal in system:masters
  accessPolicy   an access entry's access policy, in its scope
  rbac           the mapped username or a group (system:authenticated included)
                 is bound by a RoleBinding or ClusterRoleBinding to a role
                 whose rules allow the request

Only the sources the authentication mode consults count, with its precedence
(an access entry wins over aws-auth for the same principal). Unlike
kubectl-who-can and rbac-lookup, it names the IAM principals behind the RBAC
subjects, and counts system:masters.

RESOURCE may be written as kubectl auth can-i takes it: "pods",
"deployments.apps", "pods/log". A leading "/" is a non-resource path.

Sources, read-only. From the live cluster (default): aws-auth and RBAC
through your kubeconfig (--kubeconfig, --context), the authentication mode and
the access entries through kubeiam's API (--endpoint-url, --cluster-name) as
you. From files (any of these flags), as "kubeiam explain" reads them:
--aws-auth FILE, --access-entries FILE, --mode MODE, --creator ARN, --rbac FILE.
The cluster creator is not published by the API: pass --creator for its
implicit CONFIG_MAP access.

--all exports the full access review instead: every principal, its access
policies and the RBAC bindings it reaches (use -o json).

Exit status: 0 someone can, 1 nobody can (or a failure), 2 bad usage.`

// newWhoCanCommand builds "kubeiam who-can".
func newWhoCanCommand(s IO) *cobra.Command { return newWhoCanCommandWithDeps(defaultWhoCanDeps(s)) }

func newWhoCanCommandWithDeps(d whoCanDeps) *cobra.Command {
	var f whoCanFlags
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE [-n NAMESPACE] [--subresource S] [--name N] | who-can --all",
		Short: "List the IAM principals that may do a request, and through which path",
		Long:  whoCanLong,
		Example: `  kubeiam who-can delete pods -n prod
  kubeiam who-can create deployments.apps -n prod --aws-auth aws-auth.yaml --rbac rbac.yaml --mode CONFIG_MAP
  kubeiam who-can get pods/log -n default -o json
  kubeiam who-can --all -o json > access-review.json`,
		RunE: func(cmd *cobra.Command, args []string) error { return runWhoCan(cmd.Context(), d, f, args) },
	}
	addEKSFlags(cmd, d.io, &f.eks)
	cmd.PersistentFlags().Lookup("output").Usage = "output format: table or json"
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	fl := cmd.Flags()
	fl.StringVarP(&f.req.Namespace, "namespace", "n", "", "request namespace (empty: cluster-wide or all namespaces)")
	fl.StringVar(&f.req.Subresource, "subresource", "", "request subresource (log, exec, ...)")
	fl.StringVar(&f.req.Name, "name", "", "request object name")
	fl.StringVar(&f.req.APIGroup, "api-group", "", `request API group ("" is core; or write RESOURCE.GROUP)`)
	fl.BoolVar(&f.all, "all", false, "export every principal and what it reaches instead")
	fl.StringVar(&f.files.awsAuth, "aws-auth", "", "offline: aws-auth ConfigMap file")
	fl.StringVar(&f.files.entries, "access-entries", "", "offline: access entries file")
	fl.StringVar(&f.files.mode, "mode", "", "offline: authentication mode")
	fl.StringVar(&f.files.creator, "creator", "", "the cluster creator ARN")
	fl.StringVar(&f.files.rbac, "rbac", "", "offline: RBAC objects file")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "live: kubeconfig file (default $KUBECONFIG, ~/.kube/config)")
	fl.StringVar(&f.kubeCtx, "context", "", "live: kubeconfig context")
	return cmd
}

func (f whoCanFlags) offline() bool {
	return f.files.awsAuth != "" || f.files.entries != "" || f.files.mode != "" || f.files.rbac != ""
}

// parseWhoCanArgs fills the request from VERB RESOURCE.
func parseWhoCanArgs(f *whoCanFlags, args []string) error {
	if f.all {
		if len(args) > 0 {
			return fmt.Errorf("--all takes no VERB RESOURCE, got %q", args)
		}
		return nil
	}
	if len(args) != 2 {
		return errors.New("want VERB RESOURCE (for example: who-can delete pods -n prod), or --all")
	}
	f.req.Verb = args[0]
	res := args[1]
	if strings.HasPrefix(res, "/") {
		f.req.Path = res
		return nil
	}
	if i := strings.IndexByte(res, '/'); i >= 0 {
		if f.req.Subresource != "" {
			return errors.New("RESOURCE/SUBRESOURCE and --subresource both given")
		}
		res, f.req.Subresource = res[:i], res[i+1:]
	}
	if i := strings.IndexByte(res, '.'); i >= 0 {
		if f.req.APIGroup != "" {
			return errors.New("RESOURCE.GROUP and --api-group both given")
		}
		res, f.req.APIGroup = res[:i], res[i+1:]
	}
	f.req.Resource = res
	return f.req.Validate()
}

func runWhoCan(ctx context.Context, d whoCanDeps, f whoCanFlags, args []string) error {
	if err := parseWhoCanArgs(&f, args); err != nil {
		return withExitCode(2, err)
	}
	if o := f.eks.output; o != "table" && o != "json" {
		return withExitCode(2, fmt.Errorf("--output %q: want table or json", o))
	}
	var in review.Input
	var err error
	if f.offline() {
		in, err = whoCanFiles(f)
	} else {
		in, err = d.live(ctx, f)
	}
	if err != nil {
		return err
	}
	if f.all {
		rev, err := review.Review(in)
		if err != nil {
			return withExitCode(2, err)
		}
		if f.eks.output == "json" {
			return writeJSONOut(d.io.Out, rev)
		}
		return writeReviewTable(d.io.Out, rev)
	}
	res, err := review.WhoCan(in, f.req)
	if err != nil {
		return withExitCode(2, err)
	}
	if f.eks.output == "json" {
		err = writeJSONOut(d.io.Out, res)
	} else {
		err = writeWhoCanTable(d.io.Out, res)
	}
	if err == nil && len(res.Allowed) == 0 {
		return withExitCode(1, fmt.Errorf("nobody can %s", res.Description))
	}
	return err
}

// whoCanFiles reads the offline sources, as explain does.
func whoCanFiles(f whoCanFlags) (review.Input, error) {
	var ef explainFlags
	ef.files = f.files
	p, err := readParts(ef)
	if err != nil {
		return review.Input{}, withExitCode(2, err)
	}
	return review.Input{Mode: p.Mode, CreatorARN: p.CreatorARN, AWSAuth: p.AWSAuth, Entries: p.Entries,
		Associations: p.Associations, RBAC: p.RBAC}, nil
}

func writeWhoCanTable(w io.Writer, r review.Result) error {
	fmt.Fprintf(w, "Who can %s (authentication mode %s):\n", r.Description, r.Mode)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tKIND\tMAPPING\tPATH")
	for _, a := range r.Allowed {
		for i, p := range a.Paths {
			pr, kind, mapping := a.Principal.Principal, string(a.Kind), a.Mapping
			if i > 0 {
				pr, kind, mapping = "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", pr, kind, mapping, pathText(p))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Allowed) == 0 {
		fmt.Fprintln(w, "(nobody)")
	}
	if len(r.NotAllowed) > 0 {
		fmt.Fprintf(w, "\nMapped but not allowed: %d principal(s)", len(r.NotAllowed))
		names := make([]string, 0, len(r.NotAllowed))
		for _, p := range r.NotAllowed {
			names = append(names, p.Principal)
		}
		fmt.Fprintf(w, ": %s\n", strings.Join(names, ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
	return nil
}

// pathText is a path from the mapping on: "group devs → RoleBinding prod/x (ClusterRole edit)".
func pathText(p review.Path) string {
	s := string(p.Kind) + ": " + strings.Join(p.Steps[2:], " → ")
	if p.Partial {
		s += " (only sessions whose name makes that subject)"
	}
	return s
}

func writeReviewTable(w io.Writer, rev review.AccessReview) error {
	fmt.Fprintf(w, "Access review (authentication mode %s):\n", rev.Mode)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tKIND\tMAPPING\tUSERNAME\tGROUPS\tREACHES")
	for _, p := range rev.Principals {
		var reach []string
		if p.SystemMasters {
			reach = append(reach, "system:masters (everything)")
		}
		for _, pol := range p.Policies {
			reach = append(reach, policyShort(pol.PolicyARN)+" ("+pol.Scope+")")
		}
		for _, b := range p.Bindings {
			reach = append(reach, b.String())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Principal.Principal, p.Kind, p.Mapping, p.Username,
			strings.Join(p.Groups, ","), strings.Join(reach, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range rev.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
	return nil
}

func policyShort(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

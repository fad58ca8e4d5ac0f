package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/kube"
	"github.com/kubeiam/kubeiam/internal/migrate"
)

// awsAuthFileEnv names the aws-auth file the server watches, for the
// pre-flight check; the dev server's dev.env exports it.
const awsAuthFileEnv = "KUBEIAM_AWS_AUTH_FILE"

// preflightOptions are the flags of update-config's pre-flight check.
type preflightOptions struct {
	force bool
	// awsAuthFile is the file the server reads aws-auth from; when empty,
	// the ConfigMap is read through the kubeconfig.
	awsAuthFile, kubeconfig, context string
	// deps reads the ConfigMap; tests replace its client.
	deps awsAuthDeps
}

func (p *preflightOptions) addFlags(cmd *cobra.Command, s IO) {
	f := cmd.Flags()
	f.BoolVar(&p.force, "force", false, "switch to API even if aws-auth mappings without an access entry lose access (the mode cannot go back)")
	f.StringVar(&p.awsAuthFile, "aws-auth-file", s.Getenv(awsAuthFileEnv),
		"pre-flight: the aws-auth file the server reads (default $"+awsAuthFileEnv+"; else the ConfigMap, through the kubeconfig)")
	f.StringVar(&p.kubeconfig, "kubeconfig", "", "pre-flight: kubeconfig to read the aws-auth ConfigMap with (default $KUBECONFIG, ~/.kube/config)")
	f.StringVar(&p.context, "context", "", "pre-flight: kubeconfig context")
}

// preflightAPIMode is "migrate apply --final"'s check, run before a switch
// to API mode: in API mode aws-auth is no longer read, and the switch
// cannot be undone (EKS: "you can't change the authentication mode back"),
// so every aws-auth mapping without an equivalent access entry would lose
// access. It refuses, listing them and the commands that keep them. The
// EKS-compatible API itself does not refuse, as EKS does not.
func preflightAPIMode(ctx context.Context, cmd *cobra.Command, w io.Writer, c *eks.Client, o *eksOptions, p *preflightOptions) error {
	current, err := migrateClusterMode(ctx, c, o.clusterName)
	if err != nil {
		return apiFailure(o, err)
	}
	if current == access.ModeAPI {
		return nil
	}
	doc, source, err := p.readAWSAuth(ctx)
	if err != nil {
		return withExitCode(1, fmt.Errorf("not switching to API mode: cannot read aws-auth to check who would lose access: %w\n"+
			"give it with --aws-auth-file FILE (or $%s) where the server reads a file, or --kubeconfig with a context that may read the ConfigMap kube-system/aws-auth; "+
			"or switch without the check: --force (the mode cannot go back)", err, awsAuthFileEnv))
	}
	existing, err := migrateFetchEntries(ctx, c, o.clusterName)
	if err != nil {
		return apiFailure(o, err)
	}
	plan := migrate.NewPlan(doc, existing)
	if plan.Complete() {
		return nil
	}
	printLosers(w, plan, source, current)
	printKeepCommands(w, cmd, plan, p, current)
	return withExitCode(1, fmt.Errorf("not switching cluster %s to API mode: %d aws-auth %s would lose access (see above); keep them first, or pass --force",
		o.clusterName, losers(plan), awsAuthPlural(losers(plan), "mapping")))
}

// readAWSAuth reads aws-auth from where the server reads it.
func (p *preflightOptions) readAWSAuth(ctx context.Context) (*awsauth.Document, string, error) {
	ao := &awsAuthOptions{file: p.awsAuthFile, kubeconfig: p.kubeconfig, context: p.context, namespace: kube.DefaultNamespace, name: kube.DefaultName}
	t, err := newAWSAuthTarget(p.deps, ao)
	if err != nil {
		return nil, "", err
	}
	data, _, err := t.read(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", t, err)
	}
	doc, _, err := awsauth.Parse(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", t, err)
	}
	source := "ConfigMap kube-system/aws-auth"
	if p.awsAuthFile != "" {
		source = p.awsAuthFile
	}
	return doc, source, nil
}

func losers(p migrate.Plan) int {
	n := 0
	for _, it := range p.Items {
		if !kept(it) {
			n++
		}
	}
	return n
}

// kept reports whether an access entry already does what the mapping does.
func kept(it migrate.Item) bool {
	return it.Action == migrate.ActionIgnore || (it.Action == migrate.ActionSkipExists && len(it.Associations) == 0)
}

func isAdmin(m migrate.Mapping) bool {
	for _, g := range m.Groups {
		if g == "system:masters" {
			return true
		}
	}
	return false
}

func printLosers(w io.Writer, p migrate.Plan, source string, current access.Mode) {
	fmt.Fprintf(w, "In API mode aws-auth is no longer read, and the mode cannot go back to %s. These mappings of %s have no equivalent access entry and would lose access:\n", current, source)
	for _, it := range p.Items {
		if kept(it) {
			continue
		}
		m := it.Mapping
		admin := ""
		if isAdmin(m) {
			admin = "  ADMIN (system:masters)"
		}
		fmt.Fprintf(w, "  %s[%d] %s  username %s, groups [%s]%s\n", m.Source, m.Index, m.ARN, dash(m.Username), strings.Join(m.Groups, " "), admin)
		if it.Action == migrate.ActionManual || it.Action == migrate.ActionConflict {
			fmt.Fprintf(w, "    %s: %s\n", it.Action, it.Reason)
		}
	}
}

// printKeepCommands prints "kubeiam migrate apply", which creates every
// entry, and the same one by one.
func printKeepCommands(w io.Writer, cmd *cobra.Command, p migrate.Plan, pf *preflightOptions, current access.Mode) {
	common := passedFlags(cmd, "endpoint-url", "cluster-name", "profile", "region", "ca-file", "auth")
	src := ""
	if pf.awsAuthFile != "" {
		src = " -f " + shellWord(pf.awsAuthFile)
	} else {
		src = passedFlags(cmd, "kubeconfig", "context")
	}
	fmt.Fprintln(w, "Keep them, then switch: kubeiam migrate creates an access entry for each mapping (entries win over aws-auth, so nothing changes for them now):")
	fmt.Fprintf(w, "  kubeiam migrate apply%s%s\n", src, common)
	fmt.Fprintf(w, "  kubeiam migrate apply --final%s%s   # the same, then switches to API once nobody would lose access\n", src, common)
	fmt.Fprintln(w, "Or one by one:")
	if current == access.ModeConfigMap {
		fmt.Fprintf(w, "  kubeiam cluster update-config --authentication-mode %s%s\n", access.ModeAPIAndConfigMap, common)
	}
	for _, it := range p.Items {
		if kept(it) || it.Action == migrate.ActionManual || it.Action == migrate.ActionConflict {
			continue
		}
		e := it.Entry
		if it.Action == migrate.ActionCreate {
			line := "  kubeiam access-entry create --principal-arn " + shellWord(e.PrincipalARN)
			if e.Username != "" {
				line += " --username " + shellWord(e.Username)
			}
			if len(e.KubernetesGroups) > 0 {
				line += " --kubernetes-groups " + shellWord(strings.Join(e.KubernetesGroups, ","))
			}
			if e.Type != "" {
				line += " --type " + string(e.Type)
			}
			fmt.Fprintln(w, line+common)
		}
		for _, a := range it.Associations {
			line := "  kubeiam access-policy associate --principal-arn " + shellWord(e.PrincipalARN) + " --policy-arn " + shellWord(a.PolicyARN) + " --scope " + string(a.Scope.Type)
			if len(a.Scope.Namespaces) > 0 {
				line += " --namespaces " + shellWord(strings.Join(a.Scope.Namespaces, ","))
			}
			fmt.Fprintln(w, line+common)
		}
	}
	if current == access.ModeConfigMap {
		// The mode moves one step at a time, as in EKS.
		fmt.Fprintf(w, "Or switch anyway; they lose access for good: kubeiam cluster update-config --authentication-mode %s%s, then kubeiam cluster update-config --authentication-mode API --force%s\n",
			access.ModeAPIAndConfigMap, common, common)
		return
	}
	fmt.Fprintf(w, "Or switch anyway; they lose access for good: kubeiam cluster update-config --authentication-mode API --force%s\n", common)
}

// passedFlags spells the named flags the user set, for a printed command
// that must reach the same place.
func passedFlags(cmd *cobra.Command, names ...string) string {
	var b strings.Builder
	for _, n := range names {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed {
			b.WriteString(" --" + n + " " + shellWord(f.Value.String()))
		}
	}
	return b.String()
}

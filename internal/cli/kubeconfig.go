package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeiam/kubeiam/internal/kubeconfig"
	"github.com/kubeiam/kubeiam/internal/tokengen"
	"github.com/kubeiam/kubeiam/internal/tokenplugin"
)

// kubeconfigFlags are the options of "kubeiam kubeconfig", named as "aws
// eks update-kubeconfig" names them.
type kubeconfigFlags struct {
	clusterName, server, caFile  string
	roleARN, profile, region     string
	alias, userAlias, kubeconfig string
	command                      string
	dryRun, overwrite            bool
	api                          eksOptions
}

const kubeconfigLong = `Write a cluster, a user and a context for the cluster into your kubeconfig, the
way "aws eks update-kubeconfig" does, with kubeiam-token as the user's exec
credential plugin, and make the context current.

The file is the first of $KUBECONFIG, else ~/.kube/config. Every other entry
is kept. The write takes the lock kubectl takes (FILE.lock) and replaces the
file atomically, keeping its mode (0600 for a new file). An entry of the same
name that points elsewhere is refused unless --overwrite; running the command
again with the same settings changes nothing.

The API server is --server with --certificate-authority (a PEM file, embedded
as certificate-authority-data). Without --server, kubeiam's access-management
API (--endpoint-url) is asked, as EKS's DescribeCluster is: its endpoint and
certificate authority, and the cluster's ARN names the entries.

--profile is written as the plugin's AWS_PROFILE and signs the DescribeCluster
call; --role-arn and --region become the plugin's flags. The plugin may prompt
for an MFA code (interactiveMode IfAvailable).

Exit codes: 0 written (or printed), 1 refused or failed, 2 bad usage.`

func newKubeconfigCommand(s IO) *cobra.Command {
	var f kubeconfigFlags
	cmd := &cobra.Command{
		Use:   "kubeconfig --cluster-name CLUSTER [--server URL --certificate-authority FILE]",
		Short: "Add the cluster to your kubeconfig, with kubeiam-token as its credential plugin",
		Long:  kubeconfigLong,
		Example: `  kubeiam kubeconfig --cluster-name prod --server https://prod.example.com:6443 --certificate-authority prod-ca.pem
  kubeiam kubeconfig --cluster-name prod --server https://10.0.0.1:6443 --certificate-authority ca.pem \
      --profile ops --role-arn arn:aws:iam::111122223333:role/k8s-admin --alias prod-admin
  kubeiam kubeconfig --cluster-name prod --endpoint-url https://kubeiam.example.com:21362 --ca-file kubeiam-ca.pem
  kubeiam kubeconfig --cluster-name prod --server https://prod.example.com:6443 --dry-run`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKubeconfig(cmd.Context(), s, f)
		},
	}
	fl := cmd.Flags()
	addClusterFlag(fl, &f.clusterName, s, "signed into its tokens")
	fl.StringVar(&f.server, "server", "", "the Kubernetes API server URL (default: DescribeCluster's endpoint)")
	fl.StringVar(&f.caFile, "certificate-authority", "", "PEM file of the CA that signs the API server's certificate (default: DescribeCluster's)")
	fl.StringVar(&f.roleARN, "role-arn", "", "the plugin assumes this IAM role")
	fl.StringVar(&f.profile, "profile", "", "AWS profile: the plugin's AWS_PROFILE")
	fl.StringVar(&f.region, "region", "", "STS region the plugin presigns for (default: the plugin's AWS configuration)")
	fl.StringVar(&f.alias, "alias", "", "the context's name (default: the cluster's ARN, else its name)")
	fl.StringVar(&f.userAlias, "user-alias", "", "the user's name (default: the cluster entry's name)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "the file to write (default: the first of $KUBECONFIG, else ~/.kube/config)")
	fl.StringVar(&f.command, "command", "kubeiam-token", `the plugin command kubectl runs ("kubeiam" writes the equivalent "kubeiam token" form)`)
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the resulting kubeconfig instead of writing it")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace entries of the same name that point elsewhere")
	fl.StringVar(&f.api.endpoint, "endpoint-url", s.Getenv("KUBEIAM_ENDPOINT"), "kubeiam's access-management API, asked when --server is not given (default $KUBEIAM_ENDPOINT)")
	fl.StringVar(&f.api.caFile, "ca-file", s.Getenv("KUBEIAM_CA"), "CA bundle for an https --endpoint-url (default $KUBEIAM_CA)")
	fl.BoolVar(&f.api.insecureHTTP, insecureHTTPFlag, false, insecureHTTPHelp)
	return cmd
}

func runKubeconfig(ctx context.Context, s IO, f kubeconfigFlags) error {
	if err := validateKubeconfigFlags(s, &f); err != nil {
		return withExitCode(2, err)
	}
	path := f.kubeconfig
	if path == "" {
		var err error
		if path, err = kubeconfig.Path(s.Getenv); err != nil {
			return err
		}
	}
	e, err := kubeconfigEntry(ctx, f)
	if err != nil {
		return err
	}
	b, err := kubeconfig.Update(path, e, f.overwrite, f.dryRun)
	switch {
	case errors.Is(err, kubeconfig.ErrConflict):
		return fmt.Errorf("%s: %w; choose other names with --alias and --user-alias, or pass --overwrite", path, err)
	case err != nil:
		return err
	case f.dryRun:
		_, err = s.Out.Write(b)
		return err
	}
	if _, err = fmt.Fprintf(s.Out, "Context %q (cluster %s, user %s) written to %s and made current.\n", e.Context, e.ClusterEntry, e.UserEntry, path); err != nil {
		return err
	}
	warnPluginNotOnPath(s, f.command)
	return nil
}

// warnPluginNotOnPath warns when kubectl will not find the plugin the
// kubeconfig names: kubectl looks a bare command up on the PATH when it
// runs it, and otherwise fails every command with "executable ... not
// found". A kubeiam installed alone (go install ./cmd/kubeiam) has no
// kubeiam-token beside it. The file is written all the same: it may be
// meant for another machine.
func warnPluginNotOnPath(s IO, command string) {
	if strings.ContainsRune(command, filepath.Separator) || execOnPath(s.Getenv("PATH"), command) {
		return
	}
	hint := "install it (go install github.com/kubeiam/kubeiam/cmd/kubeiam-token@latest, or go install ./cmd/... in a clone)"
	if command == "kubeiam-token" && execOnPath(s.Getenv("PATH"), "kubeiam") {
		hint += `, or write the slower equivalent that needs only kubeiam: --command kubeiam`
	}
	fmt.Fprintf(s.Err, "warning: %s is not on your PATH, so kubectl cannot run it: %s\n", command, hint)
}

// execOnPath reports whether name is an executable file in a directory of path.
func execOnPath(path, name string) bool {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return true
		}
	}
	return false
}

// validateKubeconfigFlags checks the flags before anything is read or sent.
func validateKubeconfigFlags(s IO, f *kubeconfigFlags) error {
	if f.clusterName == "" {
		return errNoCluster
	}
	if err := tokengen.ValidateClusterID(f.clusterName); err != nil {
		return fmt.Errorf("--cluster-name: %w", err)
	}
	creds := tokengen.CredentialOptions{RoleARN: f.roleARN, Region: f.region, Getenv: func(string) string { return "" }, Now: s.Now}
	if err := creds.Validate(); err != nil {
		return err
	}
	if f.server == "" && f.api.endpoint == "" {
		return fmt.Errorf("--server is required (or --endpoint-url, to ask kubeiam's API for the cluster's endpoint)")
	}
	if f.server != "" {
		if err := checkEndpointTransport("--server", f.server, false); err != nil {
			return err
		}
	}
	if f.command == "" {
		return fmt.Errorf("--command must not be empty")
	}
	return nil
}

// kubeconfigEntry builds the entry: from the flags, or from DescribeCluster.
func kubeconfigEntry(ctx context.Context, f kubeconfigFlags) (kubeconfig.Entry, error) {
	e := kubeconfig.Entry{ClusterEntry: f.clusterName, Server: f.server}
	if f.caFile != "" {
		b, err := readInput(f.caFile)
		if err != nil {
			return e, withExitCode(2, fmt.Errorf("--certificate-authority: %w", err))
		}
		e.CAData = b
	}
	if f.server == "" {
		f.api.clusterName, f.api.profile, f.api.region, f.api.auth = f.clusterName, f.profile, f.region, "token"
		c, err := f.api.client(ctx)
		if err != nil {
			return e, err
		}
		out, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(f.clusterName)})
		if err != nil {
			return e, fmt.Errorf("describing cluster %s: %w", f.clusterName, err)
		}
		e.Server, e.ClusterEntry = aws.ToString(out.Cluster.Endpoint), aws.ToString(out.Cluster.Arn)
		if e.Server == "" {
			return e, fmt.Errorf("DescribeCluster of %s names no endpoint: pass --server", f.clusterName)
		}
		if e.CAData == nil && out.Cluster.CertificateAuthority != nil && aws.ToString(out.Cluster.CertificateAuthority.Data) != "" {
			b, err := base64.StdEncoding.DecodeString(aws.ToString(out.Cluster.CertificateAuthority.Data))
			if err != nil {
				return e, fmt.Errorf("DescribeCluster's certificate authority is not base64: %w", err)
			}
			e.CAData = b
		}
	}
	e.UserEntry, e.Context = orDefault(f.userAlias, e.ClusterEntry), orDefault(f.alias, e.ClusterEntry)
	e.Exec = execPluginConfig(f)
	return e, nil
}

// execPluginConfig is the user's exec section: the fast kubeiam-token,
// allowed to prompt (an MFA code) when kubectl has a terminal.
func execPluginConfig(f kubeconfigFlags) *clientcmdapi.ExecConfig {
	args := []string{"--cluster-name", f.clusterName}
	if f.command == "kubeiam" {
		args = append([]string{"token"}, args...)
	}
	if f.roleARN != "" {
		args = append(args, "--role-arn", f.roleARN)
	}
	if f.region != "" {
		args = append(args, "--region", f.region)
	}
	ec := &clientcmdapi.ExecConfig{APIVersion: tokenplugin.APIVersionV1beta1, Command: f.command, Args: args,
		InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode}
	if f.profile != "" {
		ec.Env = []clientcmdapi.ExecEnvVar{{Name: "AWS_PROFILE", Value: f.profile}}
	}
	return ec
}

package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/server"
)

// initFlags are the flags of "kubeiam init".
type initFlags struct {
	stateDir, clusterName, serverURL string
	hosts                            []string
}

func newInitCommand(s IO) *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Pre-generate the certificates and webhook kubeconfigs kube-apiserver needs",
		Long: `Write, into the state directory, everything kube-apiserver needs to use kubeiam as
its authentication and authorization webhooks, before kubeiam first starts:

  tls/ca.crt, tls/tls.crt, tls/tls.key     serving CA and certificate (loopback, the
                                           --server-url host and every --hosts entry)
  tls/client-ca.crt, tls/kube-apiserver-client.crt/.key
                                           the client CA and the client certificate
                                           kube-apiserver presents (mutual TLS)
  authn-webhook.kubeconfig                 for --authentication-token-webhook-config-file
  authz-webhook.kubeconfig                 for --authorization-webhook-config-file
  binding.key                              the key that ties each authorization check to
                                           the token review it follows (keep it secret;
                                           replicas behind one URL need the same one)

The kubeconfigs point at --server-url, the URL kube-apiserver reaches kubeiam at, and
carry the CA and the client certificate. "kubeiam server" started later on the same
state directory uses exactly these files and keeps that URL. Running init again keeps
valid material and rewrites the kubeconfigs. It prints the matching kube-apiserver flags.`,
		Example: `  # A static pod next to kube-apiserver on each control-plane node:
  kubeiam init --cluster-name prod --state-dir /var/lib/kubeiam

  # kubeiam behind a Service (or on another host):
  kubeiam init --cluster-name prod --state-dir /var/lib/kubeiam \
    --server-url https://kubeiam.kube-system.svc:21362 --hosts 10.0.0.10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runInit(s, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.stateDir, "state-dir", "/var/lib/kubeiam", "state directory the server will use")
	addClusterFlag(fl, &f.clusterName, s, "the cluster ID tokens are minted for (required)")
	fl.StringVar(&f.serverURL, "server-url", server.DefaultServerURL, "https://HOST[:PORT] at which kube-apiserver reaches the webhooks")
	fl.StringSliceVar(&f.hosts, "hosts", nil, "more DNS names or IP addresses for the serving certificate (comma-separated or repeated)")
	return cmd
}

func runInit(s IO, f initFlags) error {
	if f.clusterName == "" {
		return withExitCode(2, errNoCluster)
	}
	if len(f.clusterName) > 100 || strings.ContainsAny(f.clusterName, " \t\r\n") {
		return withExitCode(2, fmt.Errorf("--cluster-name %q must be at most 100 characters without white space", f.clusterName))
	}
	dir, err := filepath.Abs(f.stateDir)
	if err != nil {
		return withExitCode(2, fmt.Errorf("--state-dir: %w", err))
	}
	st, err := server.WriteState(server.StateOptions{Dir: dir, ServerURL: f.serverURL, Hosts: f.hosts, Record: true, Now: s.Now})
	if err != nil {
		if strings.Contains(err.Error(), "webhook server URL") || strings.Contains(err.Error(), "invalid host") {
			return withExitCode(2, fmt.Errorf("%w (see --server-url and --hosts)", err))
		}
		return err
	}
	fmt.Fprintf(s.Out, `kubeiam state for cluster %s written to %s
  webhooks   %s/authenticate   %s/authorize   (mutual TLS: client certificate %s)

kube-apiserver flags:
  --authentication-token-webhook-config-file=%s
  --authentication-token-webhook-version=v1
  --authorization-mode=Node,Webhook,RBAC
  --authorization-webhook-config-file=%s
  --authorization-webhook-version=v1

Then start kubeiam on the same state directory (the first start also needs the
IAM user or role that administers the cluster):
  kubeiam server --cluster-name %s --state-dir %s --cluster-creator-arn ARN
`, f.clusterName, dir, st.ServerURL, st.ServerURL, st.Client.CertFile, st.AuthnKubeconfig, st.AuthzKubeconfig, f.clusterName, dir)
	return nil
}

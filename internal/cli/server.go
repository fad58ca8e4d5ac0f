package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/server"
)

func newServerCommand(s IO) *cobra.Command { return newServerCommandWith(s, server.RunDev) }

// newServerCommandWith is newServerCommand with the function that runs dev
// mode, which tests replace to see the options --dev gives it.
func newServerCommandWith(s IO, runDev func(context.Context, server.DevOptions) error) *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the authentication and authorization webhooks and the access-management API",
		Long: `Run kubeiam's server: the TokenReview authentication webhook (POST /authenticate),
the SubjectAccessReview authorization webhook that enforces access policies
(POST /authorize), the EKS-compatible access-management API (/clusters/...),
and /healthz, /readyz and /metrics, on one TLS listener.

On first start it generates a CA and serving certificate, and a client CA and
the client certificate kube-apiserver presents (mutual TLS: the webhooks refuse
callers without it), in the state directory, and writes the two kubeconfigs
kube-apiserver needs ("kubeiam init" writes the same before the first start):
  --authentication-token-webhook-config-file=STATE/authn-webhook.kubeconfig
  --authorization-webhook-config-file=STATE/authz-webhook.kubeconfig
(with --authorization-mode=Node,Webhook,RBAC).

With --dev it needs nothing else: a local STS with seeded identities, an
embedded store and the webhooks, all on loopback, and a guided tour. Dev
mode honours --dev-dir, --reset, --aws-listen, --listen, --cluster-name,
--manager, --authentication-mode, the log flags, and --sts-endpoint and
--sts-timeout (to verify tokens through another STS, a fault-injecting proxy
in front of the local one, say); it refuses every other flag and says why.
It keeps its state in --dev-dir across restarts; --reset starts over.

A first start creates the cluster and needs --cluster-name and
--cluster-creator-arn (or clusterID and clusterCreatorARN in --config). A start
that fails before it serves removes what it created.

Configuration comes from --config (YAML, fields as in the flags' names:
clusterID, stsEndpoint, awsAuth.file, ...) and then from flags, which win.`,
		Example: `  # Everything local, with a guided tour:
  kubeiam server --dev

  # Start the dev server over, with new identities and a new cluster:
  kubeiam server --dev --reset

  # For a real cluster: tokens minted with "kubeiam token -i prod", aws-auth from the cluster
  kubeiam server --cluster-name prod --cluster-creator-arn arn:aws:iam::111122223333:role/admin \
    --aws-auth-configmap --state-dir /var/lib/kubeiam

  # From a file, one flag overriding it
  kubeiam server --config /etc/kubeiam/server.yaml --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, s, runDev) },
	}
	f.register(cmd.Flags())
	return cmd
}

// run starts the server, or the dev server, once every flag and setting
// has been checked: usage errors exit 2 before anything is written.
func (f *serverFlags) run(cmd *cobra.Command, s IO, runDev func(context.Context, server.DevOptions) error) error {
	// The log flags are checked first, whatever else is wrong.
	if _, err := server.NewLogger(s.Err, orDefault(f.logFormat, "text"), orDefault(f.logLevel, "info")); err != nil {
		return withExitCode(2, err)
	}
	if err := checkDevFlags(cmd.Flags(), f.dev); err != nil {
		return withExitCode(2, err)
	}
	if f.dev {
		// The server's log is written by a background goroutine (no
		// request waits on stderr); Close flushes it on the way out.
		logger, async, err := server.NewAsyncLogger(s.Err, orDefault(f.logFormat, "text"), orDefault(f.logLevel, "info"))
		if err != nil {
			return withExitCode(2, err)
		}
		defer async.Close()
		o, err := f.devOptions(cmd.Flags(), server.DevOptions{
			Dir: f.devDir, Listen: orDefault(f.cfg.Listen, "127.0.0.1:21362"), AWSListen: f.awsListen,
			Out: s.Out, Logger: logger, Now: s.Now, Command: selfCommand(),
		})
		if err != nil {
			return withExitCode(2, err)
		}
		if err := server.CheckDevOptions(o); err != nil {
			return withExitCode(2, err)
		}
		return runDev(cmd.Context(), o)
	}
	cfg, err := f.load(cmd.Flags())
	if err != nil {
		return withExitCode(2, err)
	}
	logger, async, err := server.NewAsyncLogger(s.Err, cfg.Log.Format, cfg.Log.Level)
	if err != nil {
		return withExitCode(2, err)
	}
	defer async.Close()
	return server.Run(cmd.Context(), server.Options{Config: cfg, Logger: logger, Now: s.Now})
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

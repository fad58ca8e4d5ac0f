package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/server"
)

// serverFlags are the command-line overrides of config.Server.
type serverFlags struct {
	configFile                         string
	dev                                bool
	devDir, awsListen                  string
	cfg                                config.Server
	tlsCert, tlsKey                    string
	awsAuthFile, kubeconfig, storeType string
	awsAuthConfigMap                   bool
	managers                           []string
	logFormat, logLevel                string
	stsTimeout                         string
	ec2PrivateDNS                      bool
	ec2Endpoint                        string
	hardening                          hardeningFlags
}

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
mode honours --dev-dir, --aws-listen, --listen, --cluster-id, --manager,
--authentication-mode, the log flags, and --sts-endpoint and --sts-timeout
(to verify tokens through another STS, a fault-injecting proxy in front of
the local one, say); it refuses every other flag and says why.

Configuration comes from --config (YAML, fields as in the flags' names:
clusterID, stsEndpoint, awsAuth.file, ...) and then from flags, which win.`,
		Example: `  # Everything local, with a guided tour:
  kubeiam server --dev

  # For a real cluster: tokens minted with "kubeiam token -i prod", aws-auth from the cluster
  kubeiam server --cluster-id prod --cluster-creator-arn arn:aws:iam::111122223333:role/admin \
    --aws-auth-configmap --state-dir /var/lib/kubeiam

  # From a file, one flag overriding it
  kubeiam server --config /etc/kubeiam/server.yaml --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The log flags are checked first, whatever else is wrong.
			if _, err := server.NewLogger(s.Err, orDefault(f.logFormat, "text"), orDefault(f.logLevel, "info")); err != nil {
				return withExitCode(2, err)
			}
			if err := checkDevFlags(cmd.Flags(), f.dev); err != nil {
				return withExitCode(2, err)
			}
			if f.dev {
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
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configFile, "config", "", "YAML configuration file")
	fl.BoolVar(&f.dev, "dev", false, "run everything locally: local STS, embedded store, webhooks, guided tour")
	fl.StringVar(&f.devDir, "dev-dir", ".kubeiam-dev", "with --dev: where identities, certificates, the store and dev.env go")
	fl.StringVar(&f.awsListen, "aws-listen", "127.0.0.1:21363", "with --dev: plain-HTTP address of the local STS and the access-management API")
	fl.StringVarP(&f.cfg.ClusterID, "cluster-id", "i", "", "cluster ID that tokens must be minted for (x-k8s-aws-id)")
	fl.StringVar(&f.cfg.Partition, "partition", "", "AWS partition of the accepted STS endpoints (default aws)")
	fl.StringVar(&f.cfg.Region, "region", "", "region reported in access entry ARNs (default us-east-1)")
	fl.StringVar(&f.cfg.AccountID, "account-id", "", "account that owns the cluster (default: the creator's)")
	fl.StringVar(&f.cfg.STSEndpoint, "sts-endpoint", "", "send STS requests here (VPC endpoint, proxy, local STS); the signed host stays AWS's")
	fl.BoolVar(&f.cfg.InsecureAllowHTTPSTSEndpoint, "insecure-allow-http-sts-endpoint", false, "INSECURE: allow a plain-http --sts-endpoint on a host that is not loopback (tokens and identity answers travel in the clear)")
	fl.StringVar(&f.stsTimeout, "sts-timeout", "", "timeout of one STS call (default 5s)")
	fl.StringVar(&f.cfg.Listen, "listen", "", "TLS listen address (default 127.0.0.1:21362)")
	fl.StringVar(&f.cfg.StateDir, "state-dir", "", "certificates, kubeconfigs and the embedded store (default /var/lib/kubeiam)")
	fl.StringVar(&f.tlsCert, "tls-cert-file", "", "serving certificate (default: generated in the state directory)")
	fl.StringVar(&f.tlsKey, "tls-private-key-file", "", "serving certificate's private key")
	fl.StringVar(&f.cfg.ClusterCreatorARN, "cluster-creator-arn", "", "IAM user or role that is an administrator without any mapping")
	fl.StringVar(&f.cfg.AuthenticationMode, "authentication-mode", "", "initial mode of a new cluster: CONFIG_MAP, API_AND_CONFIG_MAP or API (default CONFIG_MAP)")
	fl.StringSliceVar(&f.managers, "manager", nil, "principal ARN allowed to call the access-management API (repeatable)")
	fl.StringVar(&f.awsAuthFile, "aws-auth-file", "", "aws-auth ConfigMap manifest or data file, reloaded on change")
	fl.BoolVar(&f.awsAuthConfigMap, "aws-auth-configmap", false, "watch kube-system/aws-auth through the Kubernetes API")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeiam's own credentials to kube-apiserver, for --aws-auth-configmap and --store kubernetes (default: in-cluster)")
	fl.StringVar(&f.storeType, "store", "", "where access entries live: bolt (embedded file in the state directory) or kubernetes (kubeiam.io resources, shared by replicas) (default bolt)")
	fl.BoolVar(&f.ec2PrivateDNS, "ec2-private-dns", false, "resolve {{EC2PrivateDNSName}} through EC2 DescribeInstances (credentials from the AWS default chain)")
	fl.StringVar(&f.ec2Endpoint, "ec2-endpoint", "", "with --ec2-private-dns: send EC2 requests here (VPC endpoint, proxy)")
	fl.StringVar(&f.logFormat, "log-format", "", "text or json (default text)")
	fl.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (default info)")
	f.hardening.register(fl)
	return cmd
}

// load runs the one config pipeline: file, flags, defaults, validation.
func (f *serverFlags) load(fl *pflag.FlagSet) (config.Server, error) {
	var cfg config.Server
	if f.configFile != "" {
		var err error
		if cfg, err = config.Load(f.configFile); err != nil {
			return cfg, err
		}
	}
	set := func(name string, apply func()) {
		if fl.Changed(name) {
			apply()
		}
	}
	set("cluster-id", func() { cfg.ClusterID = f.cfg.ClusterID })
	set("partition", func() { cfg.Partition = f.cfg.Partition })
	set("region", func() { cfg.Region = f.cfg.Region })
	set("account-id", func() { cfg.AccountID = f.cfg.AccountID })
	set("sts-endpoint", func() { cfg.STSEndpoint = f.cfg.STSEndpoint })
	set("insecure-allow-http-sts-endpoint", func() { cfg.InsecureAllowHTTPSTSEndpoint = f.cfg.InsecureAllowHTTPSTSEndpoint })
	set("listen", func() { cfg.Listen = f.cfg.Listen })
	set("state-dir", func() { cfg.StateDir = f.cfg.StateDir })
	set("tls-cert-file", func() { cfg.TLS.CertFile = f.tlsCert })
	set("tls-private-key-file", func() { cfg.TLS.KeyFile = f.tlsKey })
	set("cluster-creator-arn", func() { cfg.ClusterCreatorARN = f.cfg.ClusterCreatorARN })
	set("authentication-mode", func() { cfg.AuthenticationMode = f.cfg.AuthenticationMode })
	set("manager", func() { cfg.Managers = f.managers })
	set("aws-auth-file", func() { cfg.AWSAuth.File = f.awsAuthFile })
	set("aws-auth-configmap", func() { cfg.AWSAuth.ConfigMap = f.awsAuthConfigMap })
	set("kubeconfig", func() { cfg.AWSAuth.Kubeconfig, cfg.Store.Kubeconfig = f.kubeconfig, f.kubeconfig })
	set("store", func() { cfg.Store.Type = f.storeType })
	set("ec2-private-dns", func() { cfg.EC2.Enabled = f.ec2PrivateDNS })
	set("ec2-endpoint", func() { cfg.EC2.Endpoint = f.ec2Endpoint })
	set("log-format", func() { cfg.Log.Format = f.logFormat })
	set("log-level", func() { cfg.Log.Level = f.logLevel })
	var err error
	set("sts-timeout", func() { err = cfg.STSTimeout.UnmarshalJSON([]byte(f.stsTimeout)) })
	if err != nil {
		return cfg, fmt.Errorf("--sts-timeout: %w", err)
	}
	if err := f.hardening.apply(fl, &cfg); err != nil {
		return cfg, err
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// selfCommand is how the guided tour spells kubeiam: "go run ./cmd/kubeiam"
// when this process was started by go run, "kubeiam" otherwise.
func selfCommand() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/kubeiam"
	}
	return "kubeiam"
}

package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/server"
)

// serverFlags are the command-line overrides of config.Server.
type serverFlags struct {
	configFile                         string
	dev, reset                         bool
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
	bootstrapCreator                   bool
	iamPrincipalIDs                    bool
	iamEndpoint                        string
	kubernetesEndpoint, kubernetesCA   string
	hardening                          hardeningFlags
}

// register adds the server's flags to fl. The cluster flag has no default
// from $KUBEIAM_CLUSTER here: a server's cluster is configuration, and the
// dev environment's variable must not turn into a production server's ID.
func (f *serverFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.configFile, "config", "", "YAML configuration file")
	fl.BoolVar(&f.dev, "dev", false, "run everything locally: local STS, embedded store, webhooks, guided tour")
	fl.StringVar(&f.devDir, "dev-dir", ".kubeiam-dev", "with --dev: where identities, certificates, the store and dev.env go")
	fl.BoolVar(&f.reset, "reset", false, "with --dev: delete --dev-dir first and start over (new identities, new cluster)")
	fl.StringVar(&f.awsListen, "aws-listen", "127.0.0.1:21363", "with --dev: plain-HTTP address of the local STS and the access-management API")
	addClusterFlag(fl, &f.cfg.ClusterID, IO{}, "the cluster ID that tokens must be minted for, x-k8s-aws-id (config clusterID)")
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
	fl.StringVar(&f.cfg.ClusterCreatorARN, "cluster-creator-arn", "", "IAM user or role that is an administrator without any mapping (required on the first start, which creates the cluster)")
	fl.StringVar(&f.cfg.AuthenticationMode, "authentication-mode", "", "initial mode of a new cluster: CONFIG_MAP, API_AND_CONFIG_MAP or API (default CONFIG_MAP)")
	fl.StringSliceVar(&f.managers, "manager", nil, "principal ARN allowed to call the access-management API (repeatable)")
	fl.StringVar(&f.awsAuthFile, "aws-auth-file", "", "aws-auth ConfigMap manifest or data file, reloaded on change")
	fl.BoolVar(&f.awsAuthConfigMap, "aws-auth-configmap", false, "watch kube-system/aws-auth through the Kubernetes API")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeiam's own credentials to kube-apiserver, for --aws-auth-configmap and --store kubernetes (default: in-cluster)")
	fl.StringVar(&f.storeType, "store", "", "where access entries live: bolt (embedded file in the state directory) or kubernetes (kubeiam.io resources, shared by replicas) (default bolt)")
	fl.BoolVar(&f.ec2PrivateDNS, "ec2-private-dns", false, "resolve {{EC2PrivateDNSName}} through EC2 DescribeInstances (credentials from the AWS default chain)")
	fl.StringVar(&f.ec2Endpoint, "ec2-endpoint", "", "with --ec2-private-dns: send EC2 requests here (VPC endpoint, proxy)")
	fl.BoolVar(&f.bootstrapCreator, "bootstrap-cluster-creator-admin-permissions", true, "make the cluster creator an administrator (in an API mode, through an access entry); false: no creator access entry, as EKS's accessConfig (not with CONFIG_MAP; a new cluster record only)")
	fl.BoolVar(&f.iamPrincipalIDs, "iam-principal-ids", false, "record each new access entry's principal unique ID (IAM GetRole/GetUser, credentials from the AWS default chain), so a recreated principal does not inherit it, as in EKS")
	fl.StringVar(&f.kubernetesEndpoint, "kubernetes-endpoint", "", "the cluster's API server URL that describe-cluster reports, for \"kubeiam kubeconfig\" and \"aws eks update-kubeconfig\"")
	fl.StringVar(&f.kubernetesCA, "kubernetes-ca-file", "", "with --kubernetes-endpoint: PEM file of the CA that signs the API server's certificate")
	fl.StringVar(&f.iamEndpoint, "iam-endpoint", "", "with --iam-principal-ids: send IAM requests here (a proxy)")
	fl.StringVar(&f.logFormat, "log-format", "", "text or json (default text)")
	fl.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (default info)")
	f.hardening.register(fl)
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
	if err := f.override(fl, &cfg); err != nil {
		return cfg, err
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", nameFlags(err))
	}
	if cfg.ClusterCreatorARN == "" && server.FirstStart(cfg) {
		return cfg, fmt.Errorf("invalid configuration:\n%w", nameFlags(fmt.Errorf(
			"clusterCreatorARN: required on the first start, which creates the cluster (state directory %s has no store yet): the IAM user or role that administers it", cfg.StateDir)))
	}
	return cfg, nil
}

// override copies the flags that were given over cfg.
func (f *serverFlags) override(fl *pflag.FlagSet, cfg *config.Server) error {
	set := func(name string, apply func()) {
		if fl.Changed(name) {
			apply()
		}
	}
	if clusterChanged(fl) {
		cfg.ClusterID = f.cfg.ClusterID
	}
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
	set("bootstrap-cluster-creator-admin-permissions", func() { cfg.BootstrapClusterCreatorAdminPermissions = &f.bootstrapCreator })
	set("iam-principal-ids", func() { cfg.IAM.PrincipalIDs = f.iamPrincipalIDs })
	set("iam-endpoint", func() { cfg.IAM.Endpoint = f.iamEndpoint })
	set("kubernetes-endpoint", func() { cfg.Kubernetes.Endpoint = f.kubernetesEndpoint })
	set("kubernetes-ca-file", func() { cfg.Kubernetes.CAFile = f.kubernetesCA })
	set("log-format", func() { cfg.Log.Format = f.logFormat })
	set("log-level", func() { cfg.Log.Level = f.logLevel })
	if fl.Changed("sts-timeout") {
		if err := cfg.STSTimeout.UnmarshalJSON([]byte(f.stsTimeout)); err != nil {
			return fmt.Errorf("--sts-timeout: %w", err)
		}
	}
	return f.hardening.apply(fl, cfg)
}

// configKeyFlags are the command-line flags of the configuration keys that
// have one, so that an invalid or missing setting names both.
var configKeyFlags = map[string]string{
	"clusterID": clusterFlag, "clusterCreatorARN": "cluster-creator-arn", "partition": "partition",
	"region": "region", "accountID": "account-id", "stsEndpoint": "sts-endpoint", "stsTimeout": "sts-timeout",
	"listen": "listen", "authenticationMode": "authentication-mode", "store.type": "store",
	"ec2.endpoint": "ec2-endpoint", "iam.endpoint": "iam-endpoint", "kubernetes.endpoint": "kubernetes-endpoint", "kubernetes.caFile": "kubernetes-ca-file", "log.format": "log-format", "log.level": "log-level",
	"cacheTTL": "cache-ttl", "bindingLifetime": "binding-lifetime",
	"stsRateLimit.perSecond": "sts-rate-limit", "stsRateLimit.burst": "sts-rate-burst",
	"apiAudiences": "api-audiences", "managers": "manager",
	"bootstrapClusterCreatorAdminPermissions": "bootstrap-cluster-creator-admin-permissions",
}

// nameFlags rewrites each "key: problem" line of a configuration error as
// "key (--flag): problem" where the key has a flag.
func nameFlags(err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		key, rest, ok := strings.Cut(l, ": ")
		if base, _, _ := strings.Cut(key, "["); ok && configKeyFlags[base] != "" {
			lines[i] = key + " (--" + configKeyFlags[base] + "): " + rest
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

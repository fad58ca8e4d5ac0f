package cli

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/server"
)

// devHonoured are the server flags --dev uses. Every other flag set with
// --dev is refused rather than silently ignored: someone who passes
// --state-dir or --aws-auth-file expects it to matter.
var devHonoured = map[string]bool{
	"dev": true, "dev-dir": true, "reset": true, "aws-listen": true, "listen": true, "log-format": true, "log-level": true,
	clusterFlag: true, clusterIDAlias: true, "sts-endpoint": true, "sts-timeout": true, "manager": true, "authentication-mode": true,
}

// devRefusal says why --dev refuses a flag; flags not listed get a generic
// message.
var devRefusal = map[string]string{
	"config":               "dev mode configures itself",
	"state-dir":            "dev mode keeps its state in DEV-DIR/state; choose the directory with --dev-dir",
	"cluster-creator-arn":  "the dev cluster's creator is the seeded user creator (AWS profile creator); let other principals change access with --manager",
	"aws-auth-file":        "dev mode reads DEV-DIR/aws-auth.yaml; edit that file",
	"aws-auth-configmap":   "dev mode has no cluster to watch; its aws-auth is DEV-DIR/aws-auth.yaml",
	"kubeconfig":           "dev mode has no cluster to watch; its aws-auth is DEV-DIR/aws-auth.yaml",
	"tls-cert-file":        "dev mode generates its serving certificate in DEV-DIR/state/tls",
	"tls-private-key-file": "dev mode generates its serving certificate in DEV-DIR/state/tls",
	"partition":            "the dev identities live in partition aws, account 111122223333",
	"region":               "the dev cluster is in us-east-1, where the dev identities' AWS profiles point",
	"account-id":           "the dev identities live in account 111122223333",
	"ec2-private-dns":      "dev mode calls nothing beyond loopback and has no EC2 instances",
	"ec2-endpoint":         "dev mode calls nothing beyond loopback and has no EC2 instances",
	"iam-principal-ids":    "dev mode always records principal IDs, looked up in its local STS",
	"iam-endpoint":         "dev mode looks principal IDs up in its local STS",
	"kubernetes-endpoint":  "the dev server has no kube-apiserver (kubeiam lab has one)",
	"kubernetes-ca-file":   "the dev server has no kube-apiserver (kubeiam lab has one)",
}

// devOnly are the flags that mean something only with --dev.
var devOnly = []string{"dev-dir", "reset", "aws-listen"}

// checkDevFlags refuses the flags set on fl that do not go with the mode:
// with --dev, those dev mode does not honour; without, the dev-only ones.
func checkDevFlags(fl *pflag.FlagSet, dev bool) error {
	var errs []string
	fl.Visit(func(f *pflag.Flag) {
		switch {
		case dev && !devHonoured[f.Name]:
			why := devRefusal[f.Name]
			if why == "" {
				why = "dev mode does not use it"
			}
			errs = append(errs, fmt.Sprintf("--%s does not go with --dev: %s", f.Name, why))
		case !dev && slices.Contains(devOnly, f.Name):
			errs = append(errs, fmt.Sprintf("--%s only goes with --dev", f.Name))
		}
	})
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return errors.New(strings.Join(errs, "\n"))
}

// devOptions returns the dev server's options with the honoured flags.
func (f *serverFlags) devOptions(fl *pflag.FlagSet, o server.DevOptions) (server.DevOptions, error) {
	if err := checkDevFlags(fl, true); err != nil {
		return o, err
	}
	o.ClusterID = f.cfg.ClusterID
	o.Reset = f.reset
	o.STSEndpoint = f.cfg.STSEndpoint
	o.Managers = f.managers
	o.AuthenticationMode = f.cfg.AuthenticationMode
	if fl.Changed("sts-timeout") {
		var d config.Duration
		if err := d.UnmarshalJSON([]byte(f.stsTimeout)); err != nil {
			return o, fmt.Errorf("--sts-timeout: %w", err)
		}
		o.STSTimeout = d.Duration
	}
	return o, nil
}

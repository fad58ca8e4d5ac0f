package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// This file holds the one way every command names the cluster and the
// environment variables that give the shared flags their defaults.

// Environment variables the dev server's dev.env exports; outside it they
// are unset, so no command's help shows a dev-server value unless the dev
// environment chose it.
const (
	clusterEnv  = "KUBEIAM_CLUSTER"
	endpointEnv = "KUBEIAM_ENDPOINT"
)

// Names of the cluster flag: --cluster-name, as "aws eks" and eksctl call
// it (AWS CLI reference, "aws eks describe-cluster --name" and
// "aws eks get-token --cluster-name"; eksctl "--cluster"), with -i and
// --cluster-id, kubeiam's and aws-iam-authenticator's older spelling, kept
// as aliases.
const (
	clusterFlag      = "cluster-name"
	clusterShorthand = "i"
	clusterIDAlias   = "cluster-id"
)

// addClusterFlag registers --cluster-name (-i) on fl, writing to dst, with
// its default from $KUBEIAM_CLUSTER, and the hidden alias --cluster-id.
// what says what the cluster name is used for, as in "signed into the
// token" or "whose access entries are listed". Commands check it with
// requireCluster before loading any credential.
//
// With a nil s.Getenv the flag has no default: the server's cluster is its
// configuration, never the dev environment's.
func addClusterFlag(fl *pflag.FlagSet, dst *string, s IO, what string) {
	def, from := "", ""
	if s.Getenv != nil {
		def, from = s.Getenv(clusterEnv), "default $"+clusterEnv+"; "
	}
	fl.StringVarP(dst, clusterFlag, clusterShorthand, def,
		fmt.Sprintf("the cluster's name, %s (%salias --%s)", what, from, clusterIDAlias))
	fl.StringVar(dst, clusterIDAlias, def, "alias of --"+clusterFlag)
	_ = fl.MarkHidden(clusterIDAlias)
}

// clusterChanged reports whether the cluster was given on the command line
// under any of its names.
func clusterChanged(fl *pflag.FlagSet) bool {
	return fl.Changed(clusterFlag) || fl.Changed(clusterIDAlias)
}

// errNoCluster is the usage error of a command run without a cluster.
var errNoCluster = errors.New("--" + clusterFlag + " is required (or set $" + clusterEnv +
	`; the dev server's dev.env sets it: ". .kubeiam-dev/dev.env")`)

// requireCluster returns a usage error (exit 2) when name is empty or not a
// cluster ID a token can be minted for (tokengen.ValidateClusterID), as
// "kubeiam token" refuses it.
func requireCluster(name string) error {
	if name == "" {
		return withExitCode(2, errNoCluster)
	}
	if err := tokengen.ValidateClusterID(name); err != nil {
		return withExitCode(2, fmt.Errorf("--%s: %w", clusterFlag, err))
	}
	return nil
}

// addEndpointFlag registers --endpoint-url, kubeiam's access-management
// API, with its default from $KUBEIAM_ENDPOINT.
func addEndpointFlag(fl *pflag.FlagSet, dst *string, s IO) {
	fl.StringVar(dst, "endpoint-url", s.Getenv(endpointEnv),
		"kubeiam's EKS-compatible access-management API, as https://HOST:PORT (default $"+endpointEnv+")")
}

// requireEndpoint returns a usage error (exit 2) when endpoint is empty.
func requireEndpoint(endpoint string) error {
	if endpoint == "" {
		return withExitCode(2, errors.New(`--endpoint-url is required (or set $`+endpointEnv+
			`; the dev server's dev.env sets it: ". .kubeiam-dev/dev.env")`))
	}
	return nil
}

// Package tokenplugin is the part of "kubeiam token" that a cache hit
// needs: the flags, the cache key, the cache lookup and the ExecCredential
// kubectl reads. Both the kubeiam binary and the slim kubeiam-token binary
// use it, so the two accept the same command line and print the same
// output.
//
// It must stay small: kubectl runs the plugin for every command, and a Go
// program pays at start-up for the initialisation of every package it
// links. Importing the AWS SDK, client-go or the Kubernetes API types from
// here would put them back on the cache-hit path; cmd/kubeiam-token's
// tests fail if it does.
package tokenplugin

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
)

// ClusterEnv names the cluster when no flag does, for every kubeiam command.
const ClusterEnv = "KUBEIAM_CLUSTER"

// ErrUsage marks an error in the command line (exit code 2): errors.Is
// reports it for every such error this package returns.
var ErrUsage = errors.New("bad usage")

// usageError is an error in the command line; its message is the problem
// alone, without a "bad usage" prefix.
type usageError struct{ err error }

func (e *usageError) Error() string        { return e.err.Error() }
func (e *usageError) Unwrap() error        { return e.err }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// Flags are the options of "kubeiam token" and "kubeiam-token".
type Flags struct {
	ClusterName, RoleARN, SessionName, ExternalID string
	Region, Profile, STSEndpoint, CacheDir        string
	Audience                                      string
	Global, TokenOnly, NoCache                    bool
	ForwardSessionName, Version                   bool

	// clusterID is --cluster-id, merged into ClusterName by Complete.
	clusterID string
}

// Register adds the flags to fs. The cluster is --cluster-name, as "aws
// eks get-token" calls it; -i/--cluster-id, aws-iam-authenticator's name,
// is an alias.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.ClusterName, "cluster-name", "", "cluster name, signed into the token: the EKS cluster name, or the server's cluster ID (default $"+ClusterEnv+")")
	fs.StringVarP(&f.clusterID, "cluster-id", "i", "", "alias of --cluster-name (aws-iam-authenticator's name)")
	fs.StringVarP(&f.RoleARN, "role-arn", "r", "", "assume this IAM role and sign with its credentials")
	fs.StringVar(&f.SessionName, "session-name", "", `session name when assuming --role-arn (default "kubeiam-UNIXTIME")`)
	fs.BoolVar(&f.ForwardSessionName, "forward-session-name", false, "when assuming --role-arn, use the session name of the credentials you assume it with (an SSO user's e-mail, say), so audit logs name you")
	fs.StringVar(&f.ExternalID, "external-id", "", "external ID when assuming --role-arn")
	fs.StringVar(&f.Region, "region", "", "STS region (default AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1)")
	fs.StringVar(&f.Profile, "profile", "", "AWS shared-config profile (wins over credentials in the environment)")
	fs.StringVar(&f.STSEndpoint, "sts-endpoint", "", "send AssumeRole to this STS URL; the token still names the real STS host")
	fs.BoolVar(&f.Global, "global-endpoint", false, "presign for the global sts.amazonaws.com (us-east-1) instead of the regional endpoint")
	fs.StringVar(&f.Audience, "audience", "cluster", `what the token is for: "cluster" (kubectl, kube-apiserver) or "api" (kubeiam's access-management API)`)
	fs.BoolVar(&f.TokenOnly, "token-only", false, "print only the token, not an ExecCredential")
	fs.BoolVar(&f.NoCache, "no-cache", false, "neither read nor write the token cache (nor the MFA session cache)")
	fs.StringVar(&f.CacheDir, "cache-dir", "", "token cache directory (default $XDG_CACHE_HOME/kubeiam/tokens or ~/.cache/kubeiam/tokens)")
}

// Complete fills what the flags left to the environment: the cluster from
// KUBEIAM_CLUSTER. It reports a missing cluster, or --cluster-name and
// --cluster-id naming two different ones, as ErrUsage.
func (f *Flags) Complete(getenv func(string) string) error {
	switch {
	case f.ClusterName != "" && f.clusterID != "" && f.ClusterName != f.clusterID:
		return usagef("--cluster-name %q and --cluster-id %q disagree; pass one", f.ClusterName, f.clusterID)
	case f.ClusterName == "":
		f.ClusterName = f.clusterID
	}
	if f.ClusterName == "" {
		f.ClusterName = getenv(ClusterEnv)
	}
	if f.ClusterName == "" {
		return usagef("--cluster-name is required (or set %s)", ClusterEnv)
	}
	if f.ForwardSessionName && f.SessionName != "" {
		return usagef("--forward-session-name and --session-name both name the session; pass one")
	}
	if (f.ForwardSessionName || f.SessionName != "") && f.RoleARN == "" {
		return usagef("--session-name and --forward-session-name need --role-arn")
	}
	return nil
}

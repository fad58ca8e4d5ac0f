// Package tokenplugin is the part of "kubeiam token" that a cache hit
// needs: the flags, the cache key, the cache lookup and the ExecCredential
// kubectl reads. Both the kubeiam binary and the slim kubeiam-token binary
// use it, so the two accept the same command line and print the same
// output.
//
// It must stay small: kubectl runs the plugin for every command, and a Go
// program pays at start-up for the initialisation of every package it
// links (and, once package net is linked, for the dynamic loader too).
// Importing the AWS SDK, client-go, the Kubernetes API types or even a
// flag library that links net would put them on the cache-hit path;
// cmd/kubeiam-token's tests fail if it does.
package tokenplugin

import (
	"errors"
	"fmt"
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
	ForwardSessionName                            bool

	// ClusterID is --cluster-id, merged into ClusterName by Complete.
	ClusterID string
}

// Spec describes one flag, for whichever flag parser registers it: cobra's
// pflag in kubeiam, the small parser of this package in kubeiam-token.
type Spec struct {
	Name, Shorthand, Usage string
	// String or Bool is where the value goes; Default is a string flag's.
	String  *string
	Bool    *bool
	Default string
}

// Specs returns the flags, bound to f. The cluster is --cluster-name, as
// "aws eks get-token" calls it; -i/--cluster-id, aws-iam-authenticator's
// name, is an alias.
func (f *Flags) Specs() []Spec {
	return []Spec{
		{Name: "cluster-name", String: &f.ClusterName, Usage: "cluster name, signed into the token: the EKS cluster name, or the server's cluster ID (default $" + ClusterEnv + ")"},
		{Name: "cluster-id", Shorthand: "i", String: &f.ClusterID, Usage: "alias of --cluster-name (aws-iam-authenticator's name)"},
		{Name: "role-arn", Shorthand: "r", String: &f.RoleARN, Usage: "assume this IAM role and sign with its credentials"},
		{Name: "session-name", String: &f.SessionName, Usage: `session name when assuming --role-arn (default "kubeiam-UNIXTIME")`},
		{Name: "forward-session-name", Bool: &f.ForwardSessionName, Usage: "when assuming --role-arn, use the session name of the credentials you assume it with (an SSO user's e-mail, say), so audit logs name you"},
		{Name: "external-id", String: &f.ExternalID, Usage: "external ID when assuming --role-arn"},
		{Name: "region", String: &f.Region, Usage: "STS region (default AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1)"},
		{Name: "profile", String: &f.Profile, Usage: "AWS shared-config profile (wins over credentials in the environment)"},
		{Name: "sts-endpoint", String: &f.STSEndpoint, Usage: "send AssumeRole to this STS URL; the token still names the real STS host"},
		{Name: "global-endpoint", Bool: &f.Global, Usage: "presign for the global sts.amazonaws.com (us-east-1) instead of the regional endpoint"},
		{Name: "audience", String: &f.Audience, Default: "cluster", Usage: `what the token is for: "cluster" (kubectl, kube-apiserver) or "api" (kubeiam's access-management API)`},
		{Name: "token-only", Bool: &f.TokenOnly, Usage: "print only the token, not an ExecCredential"},
		{Name: "no-cache", Bool: &f.NoCache, Usage: "neither read nor write the token cache (nor the MFA session cache)"},
		{Name: "cache-dir", String: &f.CacheDir, Usage: "token cache directory (default $XDG_CACHE_HOME/kubeiam/tokens or ~/.cache/kubeiam/tokens)"},
	}
}

// Complete fills what the flags left to the environment: the cluster from
// KUBEIAM_CLUSTER. It reports a missing cluster, or --cluster-name and
// --cluster-id naming two different ones, as ErrUsage.
func (f *Flags) Complete(getenv func(string) string) error {
	switch {
	case f.ClusterName != "" && f.ClusterID != "" && f.ClusterName != f.ClusterID:
		return usagef("--cluster-name %q and --cluster-id %q disagree; pass one", f.ClusterName, f.ClusterID)
	case f.ClusterName == "":
		f.ClusterName = f.ClusterID
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

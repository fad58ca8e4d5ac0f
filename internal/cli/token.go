package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokencache"
	"github.com/kubeiam/kubeiam/internal/tokengen"
	"github.com/kubeiam/kubeiam/internal/tokenplugin"
)

// tokenDeps is what "kubeiam token" needs beyond its flags; tests replace
// the AWS configuration loader and the cache location.
type tokenDeps struct {
	io         IO
	loadConfig func(context.Context, tokengen.CredentialOptions) (aws.Config, error)
	cacheDir   func() (string, error)
	// openTTY opens the terminal an MFA code is asked on.
	openTTY func() (io.ReadWriteCloser, error)
}

// newTokenCommand builds "kubeiam token". The slim cmd/kubeiam-token
// shares its flags, cache and output through internal/tokenplugin, and
// hands over to it on a cache miss.
func newTokenCommand(s IO) *cobra.Command {
	return newTokenCommandWithDeps(tokenDeps{io: s, loadConfig: tokengen.LoadCredentials, cacheDir: tokenplugin.DefaultCacheDir, openTTY: openTTY})
}

func newTokenCommandWithDeps(d tokenDeps) *cobra.Command {
	var f tokenplugin.Flags
	cmd := &cobra.Command{
		Use:     "token --cluster-name CLUSTER",
		Short:   "Print a token for kubectl (an exec credential plugin)",
		Long:    tokenplugin.Long,
		Example: tokenplugin.Example,
		Args:    cobra.NoArgs,
		// kubectl shows the plugin's stderr to the user: one error line,
		// not a usage screen.
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.Complete(d.io.Getenv); err != nil {
				return withExitCode(2, err)
			}
			return runToken(cmd.Context(), d, f)
		},
	}
	registerSpecs(cmd.Flags(), f.Specs())
	return cmd
}

// registerSpecs adds tokenplugin's flag specs to a cobra flag set, so that
// "kubeiam token" and kubeiam-token take the same flags.
func registerSpecs(fs *pflag.FlagSet, specs []tokenplugin.Spec) {
	for _, s := range specs {
		if s.Bool != nil {
			fs.BoolVarP(s.Bool, s.Name, s.Shorthand, false, s.Usage)
			continue
		}
		fs.StringVarP(s.String, s.Name, s.Shorthand, s.Default, s.Usage)
	}
}

// runToken prints a token: from the cache when one is fresh, which needs no
// AWS configuration at all, else freshly generated.
func runToken(ctx context.Context, d tokenDeps, f tokenplugin.Flags) error {
	s := d.io
	creds := tokengen.CredentialOptions{
		Profile: f.Profile, Region: f.Region, RoleARN: f.RoleARN, SessionName: f.SessionName,
		ForwardSessionName: f.ForwardSessionName,
		ExternalID:         f.ExternalID, STSEndpoint: f.STSEndpoint, Getenv: s.Getenv, Now: s.Now,
	}
	// Every local check first: a typo must not cost a credential lookup.
	if err := tokengen.ValidateClusterID(f.ClusterName); err != nil {
		return withExitCode(2, fmt.Errorf("--cluster-name: %w", err))
	}
	aud, err := token.ParseAudience(f.Audience)
	if err != nil {
		return withExitCode(2, fmt.Errorf("--audience: %w", err))
	}
	if err := creds.Validate(); err != nil {
		return withExitCode(2, err)
	}
	info, err := tokenplugin.ParseExecInfo(s.Getenv(tokenplugin.ExecInfoEnv))
	if err != nil {
		return withExitCode(2, err)
	}
	key, err := tokenplugin.CacheKey(f, s.Getenv)
	if err != nil {
		return withExitCode(2, err)
	}
	cache := openTokenCache(d, f)
	if cache != nil {
		if t, ok := cache.Get(key); ok {
			return printToken(s, info.APIVersion, f.TokenOnly, t.Value, t.Expiration)
		}
	}
	src := creds.Source()
	creds.MFACode = mfaPrompter(info, d.openTTY)
	creds.SessionCache = openSessionCache(d, f)
	creds.Warn = func(err error) { fmt.Fprintf(s.Err, "warning: %v\n", err) }
	cfg, err := d.loadConfig(ctx, creds)
	if err != nil {
		return explainTokenError(err, src, f)
	}
	tok, err := tokengen.Generate(ctx, cfg.Credentials, tokengen.Options{
		ClusterID: f.ClusterName, Region: cfg.Region, Global: f.Global, Audience: aud, Now: s.Now,
	})
	if err != nil {
		return explainTokenError(err, src, f)
	}
	if cache != nil {
		if err := cache.Put(key, tokencache.Token{Value: tok.Value, Expiration: tok.Expiration}); err != nil {
			fmt.Fprintf(s.Err, "warning: token cache not updated: %v\n", err)
		}
	}
	return printToken(s, info.APIVersion, f.TokenOnly, tok.Value, tok.Expiration)
}

// openTokenCache returns the cache, or nil when it is turned off or
// unusable.
func openTokenCache(d tokenDeps, f tokenplugin.Flags) *tokencache.Cache {
	if f.NoCache {
		return nil
	}
	warn := func(err error) { fmt.Fprintf(d.io.Err, "warning: token cache ignored: %v\n", err) }
	dir := f.CacheDir
	if dir == "" {
		var err error
		if dir, err = d.cacheDir(); err != nil {
			warn(err)
			return nil
		}
	}
	return tokenplugin.OpenCache(dir, d.io.Now, warn)
}

// explainTokenError explains a failure of "kubeiam token" to get
// credentials or mint a token.
func explainTokenError(err error, src tokengen.Source, f tokenplugin.Flags) error {
	if e, ok := explainSessionError(err, src, f); ok {
		return e
	}
	return explainCredentialError(err, src, tokenFlags{profile: f.Profile, roleARN: f.RoleARN})
}

// tokenFlags is what explainCredentialError needs of a command's flags.
type tokenFlags struct{ profile, roleARN string }

// explainCredentialError turns a failure to load or use credentials into
// one line that names what was tried and what to do.
func explainCredentialError(err error, src tokengen.Source, f tokenFlags) error {
	switch {
	case errors.Is(err, tokengen.ErrProfile):
		return fmt.Errorf(`%w; create it with "aws configure --profile %s" or choose another with --profile or AWS_PROFILE`, err, src.Profile)
	case errors.Is(err, tokengen.ErrCredentials) && f.roleARN != "":
		return fmt.Errorf("assuming role %s with credentials from %s: %w; check those credentials and that they may assume the role", f.roleARN, src, err)
	case errors.Is(err, tokengen.ErrCredentials):
		return fmt.Errorf(`no usable AWS credentials (tried %s): %w; run "aws configure" (or "aws sso login"), set AWS_PROFILE or pass --profile`, src, err)
	}
	return err
}

// printToken writes the token, the only place it is ever written.
func printToken(s IO, apiVersion string, tokenOnly bool, tok string, exp time.Time) error {
	b, err := tokenplugin.EncodeExecCredential(apiVersion, tokenOnly, tok, exp)
	if err != nil {
		return err
	}
	_, err = s.Out.Write(b)
	return err
}

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientauthv1 "k8s.io/client-go/pkg/apis/clientauthentication/v1"
	clientauthv1beta1 "k8s.io/client-go/pkg/apis/clientauthentication/v1beta1"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokencache"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// execInfoEnv is the variable through which kubectl tells an exec plugin
// which ExecCredential apiVersion it wants.
const execInfoEnv = "KUBERNETES_EXEC_INFO"

// tokenDeps is what "kubeiam token" needs beyond its flags; tests replace
// the AWS configuration loader and the cache location.
type tokenDeps struct {
	io         IO
	loadConfig func(context.Context, tokengen.CredentialOptions) (aws.Config, error)
	cacheDir   func() (string, error)
}

type tokenFlags struct {
	clusterID, roleARN, sessionName, externalID string
	region, profile, stsEndpoint, cacheDir      string
	audience                                    string
	global, tokenOnly, noCache                  bool
}

const tokenLong = `Print a token that authenticates you to a Kubernetes cluster with your AWS IAM
identity: an STS GetCallerIdentity request presigned with your AWS credentials
and bound to the cluster by the signed x-k8s-aws-id header. The cluster's
"kubeiam server" (or aws-iam-authenticator, or Amazon EKS) asks STS who signed
it. kubectl runs this command as an exec credential plugin; add to your
kubeconfig:

  users:
  - name: my-cluster
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: kubeiam
        args: ["token", "--cluster-id", "my-cluster"]
        # args: ["token", "-i", "my-cluster", "--role-arn", "arn:aws:iam::111122223333:role/k8s-admin"]
        env:
        - name: AWS_PROFILE
          value: my-profile
        interactiveMode: Never

Credentials come from the AWS SDK's default chain: --profile, then
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity, AWS_PROFILE or the
"default" profile (including SSO), containers and EC2 instance roles.

The output is an ExecCredential in the apiVersion kubectl asks for through
KUBERNETES_EXEC_INFO (v1 or v1beta1; v1beta1 when unset); --token-only prints
the bare token. Tokens are valid for 15 minutes, reported as 14, and cached in
a private file until a minute before they expire; --no-cache turns that off.

--audience api mints a token for kubeiam's access-management API instead
(x-k8s-aws-id is "kubeiam-api:CLUSTER"), for scripts that call the API with
"Authorization: Bearer": the API refuses cluster tokens, and kube-apiserver
refuses API tokens. kubeiam's own commands mint the right one themselves.`

// newTokenCommand builds "kubeiam token".
func newTokenCommand(s IO) *cobra.Command {
	return newTokenCommandWithDeps(tokenDeps{
		io:         s,
		loadConfig: tokengen.LoadCredentials,
		cacheDir: func() (string, error) {
			d, err := os.UserCacheDir()
			if err != nil {
				return "", err
			}
			// A directory of its own: the cache refuses a directory others
			// can read, and ~/.cache/kubeiam also holds build artefacts.
			return filepath.Join(d, "kubeiam", "tokens"), nil
		},
	})
}

func newTokenCommandWithDeps(d tokenDeps) *cobra.Command {
	var f tokenFlags
	cmd := &cobra.Command{
		Use:   "token --cluster-id CLUSTER",
		Short: "Print a token for kubectl (an exec credential plugin)",
		Long:  tokenLong,
		Example: `  kubeiam token -i my-cluster
  kubeiam token -i my-cluster --role-arn arn:aws:iam::111122223333:role/k8s-admin --token-only
  AWS_PROFILE=dev kubeiam token -i my-cluster --region eu-west-1
  curl -H "Authorization: Bearer $(kubeiam token -i my-cluster --audience api --token-only)" ...`,
		Args: cobra.NoArgs,
		// kubectl shows the plugin's stderr to the user: one error line,
		// not a usage screen.
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runToken(cmd.Context(), d, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.clusterID, "cluster-id", "i", "", "cluster ID, signed into the token (the EKS cluster name, or the server's --cluster-id)")
	fl.StringVarP(&f.roleARN, "role-arn", "r", "", "assume this IAM role and sign with its credentials")
	fl.StringVar(&f.sessionName, "session-name", "", `session name when assuming --role-arn (default "kubeiam-UNIXTIME")`)
	fl.StringVar(&f.externalID, "external-id", "", "external ID when assuming --role-arn")
	fl.StringVar(&f.region, "region", "", "STS region (default AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1)")
	fl.StringVar(&f.profile, "profile", "", "AWS shared-config profile (wins over credentials in the environment)")
	fl.StringVar(&f.stsEndpoint, "sts-endpoint", "", "send AssumeRole to this STS URL; the token still names the real STS host")
	fl.BoolVar(&f.global, "global-endpoint", false, "presign for the global sts.amazonaws.com (us-east-1) instead of the regional endpoint")
	fl.StringVar(&f.audience, "audience", "cluster", `what the token is for: "cluster" (kubectl, kube-apiserver) or "api" (kubeiam's access-management API)`)
	fl.BoolVar(&f.tokenOnly, "token-only", false, "print only the token, not an ExecCredential")
	fl.BoolVar(&f.noCache, "no-cache", false, "neither read nor write the token cache")
	fl.StringVar(&f.cacheDir, "cache-dir", "", "token cache directory (default $XDG_CACHE_HOME/kubeiam/tokens or ~/.cache/kubeiam/tokens)")
	_ = cmd.MarkFlagRequired("cluster-id")
	return cmd
}

// runToken prints a token: from the cache when one is fresh, which needs no
// AWS configuration at all, else freshly generated.
func runToken(ctx context.Context, d tokenDeps, f tokenFlags) error {
	s := d.io
	creds := tokengen.CredentialOptions{
		Profile: f.profile, Region: f.region, RoleARN: f.roleARN, SessionName: f.sessionName,
		ExternalID: f.externalID, STSEndpoint: f.stsEndpoint, Getenv: s.Getenv, Now: s.Now,
	}
	// Every local check first: a typo must not cost a credential lookup.
	if err := tokengen.ValidateClusterID(f.clusterID); err != nil {
		return withExitCode(2, fmt.Errorf("--cluster-id: %w", err))
	}
	aud, err := token.ParseAudience(f.audience)
	if err != nil {
		return withExitCode(2, fmt.Errorf("--audience: %w", err))
	}
	if err := creds.Validate(); err != nil {
		return withExitCode(2, err)
	}
	apiVersion, err := execAPIVersion(s.Getenv(execInfoEnv))
	if err != nil {
		return withExitCode(2, err)
	}
	src := creds.Source()
	cache := openTokenCache(d, f)
	key := tokencache.Key(tokencache.KeyInput{
		// The signed binding, not the bare cluster ID: a cached cluster
		// token must never be handed out as an API token, or back.
		ClusterID: aud.Headers(f.clusterID)[token.ClusterIDHeader], Region: creds.ExplicitRegion(), Global: f.global, Profile: f.profile,
		RoleARN: f.roleARN, SessionName: f.sessionName, ExternalID: f.externalID, STSEndpoint: f.stsEndpoint,
		Credentials: src.Fingerprint(),
	})
	if cache != nil {
		if t, ok := cache.Get(key); ok {
			return printToken(s, apiVersion, f.tokenOnly, t.Value, t.Expiration)
		}
	}
	cfg, err := d.loadConfig(ctx, creds)
	if err != nil {
		return explainCredentialError(err, src, f)
	}
	tok, err := tokengen.Generate(ctx, cfg.Credentials, tokengen.Options{
		ClusterID: f.clusterID, Region: cfg.Region, Global: f.global, Audience: aud, Now: s.Now,
	})
	if err != nil {
		return explainCredentialError(err, src, f)
	}
	if cache != nil {
		if err := cache.Put(key, tokencache.Token{Value: tok.Value, Expiration: tok.Expiration}); err != nil {
			fmt.Fprintf(s.Err, "warning: token cache not updated: %v\n", err)
		}
	}
	return printToken(s, apiVersion, f.tokenOnly, tok.Value, tok.Expiration)
}

// openTokenCache returns the cache, or nil when it is turned off or
// unusable; a broken cache is worth a warning, never a failure.
func openTokenCache(d tokenDeps, f tokenFlags) *tokencache.Cache {
	if f.noCache {
		return nil
	}
	warn := func(err error) { fmt.Fprintf(d.io.Err, "warning: token cache ignored: %v\n", err) }
	dir := f.cacheDir
	if dir == "" {
		var err error
		if dir, err = d.cacheDir(); err != nil {
			warn(err)
			return nil
		}
	}
	c, err := tokencache.Open(dir, d.io.Now, tokencache.WithWarnings(warn))
	if err != nil {
		warn(err)
		return nil
	}
	return c
}

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

// execAPIVersion returns the ExecCredential apiVersion kubectl asked for
// in KUBERNETES_EXEC_INFO; v1beta1 when the variable is unset, as
// aws-iam-authenticator does, since kubectl older than 1.22 sets nothing.
func execAPIVersion(execInfo string) (string, error) {
	if execInfo == "" {
		return clientauthv1beta1.SchemeGroupVersion.String(), nil
	}
	var info struct {
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal([]byte(execInfo), &info); err != nil {
		return "", fmt.Errorf("%s is not an ExecCredential in JSON: %w", execInfoEnv, err)
	}
	switch info.APIVersion {
	case clientauthv1.SchemeGroupVersion.String(), clientauthv1beta1.SchemeGroupVersion.String():
		return info.APIVersion, nil
	}
	return "", fmt.Errorf("kubectl asked for ExecCredential apiVersion %q (%s), kubeiam supports %s and %s: set exec.apiVersion in your kubeconfig to one of them",
		info.APIVersion, execInfoEnv, clientauthv1.SchemeGroupVersion, clientauthv1beta1.SchemeGroupVersion)
}

// printToken writes the token, the only place it is ever written.
func printToken(s IO, apiVersion string, tokenOnly bool, tok string, exp time.Time) error {
	if tokenOnly {
		_, err := fmt.Fprintln(s.Out, tok)
		return err
	}
	b, err := json.Marshal(execCredential(apiVersion, tok, exp))
	if err != nil {
		return fmt.Errorf("encoding ExecCredential: %w", err)
	}
	_, err = fmt.Fprintf(s.Out, "%s\n", b)
	return err
}

func execCredential(apiVersion, tok string, exp time.Time) any {
	ts := metav1.NewTime(exp.UTC())
	if apiVersion == clientauthv1.SchemeGroupVersion.String() {
		return &clientauthv1.ExecCredential{
			TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "ExecCredential"},
			Status:   &clientauthv1.ExecCredentialStatus{ExpirationTimestamp: &ts, Token: tok},
		}
	}
	return &clientauthv1beta1.ExecCredential{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: "ExecCredential"},
		Status:   &clientauthv1beta1.ExecCredentialStatus{ExpirationTimestamp: &ts, Token: tok},
	}
}

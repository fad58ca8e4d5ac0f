package tokengen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/credsource"
)

// DefaultRegion is the region used when neither a flag, the environment
// nor the profile names one; aws-iam-authenticator does the same.
const DefaultRegion = "us-east-1"

// Errors of LoadCredentials, wrapped with detail. Compare with errors.Is.
var (
	ErrRoleARN     = errors.New("invalid role ARN")
	ErrSTSEndpoint = errors.New("invalid STS endpoint")
	ErrProfile     = errors.New("AWS profile not found")
	ErrSessionName = errors.New("invalid role session name")
	ErrExternalID  = errors.New("invalid external ID")
)

// CredentialOptions say where the signing credentials come from.
type CredentialOptions struct {
	// Profile is the shared-config profile given on the command line. As
	// in the AWS SDK, it wins over credentials in the environment, whereas
	// AWS_PROFILE does not.
	Profile string
	// Region overrides AWS_REGION, AWS_DEFAULT_REGION and the profile's region.
	Region string
	// RoleARN, when set, is assumed with the source credentials and the
	// token is signed with the role's temporary credentials.
	RoleARN string
	// SessionName is the AssumeRole session name; default "kubeiam-UNIXTIME".
	SessionName string
	// ForwardSessionName, with RoleARN, names the session after the source
	// credentials' own session (the part after ":" of GetCallerIdentity's
	// UserId, as aws-iam-authenticator's --forward-session-name does), so
	// that CloudTrail and the cluster's audit log name the person.
	ForwardSessionName bool
	// ExternalID is passed to AssumeRole when set.
	ExternalID string
	// STSEndpoint overrides where AssumeRole is sent (a VPC endpoint, a
	// local STS). It never changes the host a token is presigned for.
	STSEndpoint string
	// Getenv reads the environment; kubeiam interprets the credential and
	// region variables itself through it. The SDK still reads the process
	// environment for the rest of its chain (SSO, containers, IMDS).
	Getenv func(string) string
	// Now is the clock, used for the default session name.
	Now func() time.Time
	// MFACode returns the code of the MFA device serial for a profile that
	// assumes its role with mfa_serial; "kubeiam token" prompts on the
	// terminal. Nil: such profiles fail with ErrMFARequired.
	MFACode func(profile, serial string) (string, error)
	// SessionCache, when set, keeps the credentials of a role assumed with
	// MFA until they expire, so the code is asked once per session.
	SessionCache SessionCache
	// Warn is told of trouble that does not stop the command (a session
	// that could not be cached); nil drops it.
	Warn func(error)
	// HTTPClient, when set, carries every request the credential chain and
	// the returned config send (SSO, AssumeRole, GetCallerIdentity):
	// "kubeiam doctor" sets one with its own timeout and resolver.
	HTTPClient aws.HTTPClient
}

// Validate checks the options without any I/O.
func (o CredentialOptions) Validate() error {
	if o.Getenv == nil || o.Now == nil {
		return errors.New("tokengen: CredentialOptions.Getenv and Now must be set")
	}
	if r := o.ExplicitRegion(); r != "" {
		if _, err := ValidateRegion(r); err != nil {
			return err
		}
	}
	if o.RoleARN != "" {
		p, err := arn.Parse(o.RoleARN)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrRoleARN, err)
		}
		if p.Kind != arn.KindRole {
			return fmt.Errorf("%w %q: a %s, not a role", ErrRoleARN, o.RoleARN, p.Kind)
		}
	}
	if o.SessionName != "" && !validIAMString(o.SessionName, 2, 64, "") {
		return fmt.Errorf("%w %q: 2 to 64 letters, digits or +=,.@_-", ErrSessionName, o.SessionName)
	}
	if o.ExternalID != "" && !validIAMString(o.ExternalID, 2, 1224, ":/") {
		return fmt.Errorf("%w: 2 to 1224 letters, digits or +=,.@:/_-", ErrExternalID)
	}
	if o.STSEndpoint != "" {
		if err := validateSTSEndpoint(o.STSEndpoint); err != nil {
			return err
		}
	}
	return nil
}

// validIAMString reports whether s has min to max characters of the IAM
// pattern [\w+=,.@-], plus the extra ones.
func validIAMString(s string, min, max int, extra string) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range s {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("_+=,.@-"+extra, c)
		if !ok {
			return false
		}
	}
	return true
}

// validateSTSEndpoint accepts an https URL, or http on a loopback address
// for a local STS such as "kubeiam server --dev". AssumeRole carries
// credentials, so plain http to anything else is refused.
func validateSTSEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%w %q: %w", ErrSTSEndpoint, s, err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%w %q: want https://HOST[:PORT][/PATH]", ErrSTSEndpoint, s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("%w %q: plain http is allowed only on a loopback address", ErrSTSEndpoint, s)
	}
	return fmt.Errorf("%w %q: scheme must be https", ErrSTSEndpoint, s)
}

// LoadCredentials builds an AWS config through the SDK's default chain
// (environment, shared config and credentials files, profiles, SSO, web
// identity, containers, IMDS) and, when o.RoleARN is set, replaces its
// credentials with a cached AssumeRole provider. Its Region is always set
// and valid. Loading reads files but sends no request: credentials are
// fetched on first use.
func LoadCredentials(ctx context.Context, o CredentialOptions) (aws.Config, error) {
	if err := o.Validate(); err != nil {
		return aws.Config{}, err
	}
	src := o.Source()
	loadOpts := []func(*config.LoadOptions) error{
		// The same files Source and the cache fingerprint look at.
		config.WithSharedConfigFiles([]string{src.ConfigFile}),
		config.WithSharedCredentialsFiles([]string{src.CredentialsFile}),
	}
	if r := o.ExplicitRegion(); r != "" {
		loadOpts = append(loadOpts, config.WithRegion(r))
	}
	if o.HTTPClient != nil {
		loadOpts = append(loadOpts, config.WithHTTPClient(o.HTTPClient))
	}
	// The SDK's precedence is decided by Source; the SDK is told the
	// outcome explicitly, so that what Getenv says is what it uses.
	envProfile := firstEnv(o.Getenv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
	switch src.Kind {
	case SourceProfileFlag:
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(o.Profile))
	case SourceEnv:
		loadOpts = append(loadOpts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			src.AccessKeyID, firstEnv(o.Getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"), o.Getenv("AWS_SESSION_TOKEN"))))
		if envProfile != "" {
			// Still the source of the region, as in the SDK.
			loadOpts = append(loadOpts, config.WithSharedConfigProfile(envProfile))
		}
	case SourceProfile:
		// Not "default" when unset: an explicit profile must exist, the
		// implicit default need not.
		if envProfile != "" {
			loadOpts = append(loadOpts, config.WithSharedConfigProfile(envProfile))
		}
	}
	var mfaSerial string
	loadOpts = append(loadOpts, config.WithAssumeRoleCredentialOptions(o.mfaOptions(src.Profile, &mfaSerial)))
	if v, _ := strconv.ParseBool(o.Getenv("AWS_EC2_METADATA_DISABLED")); v {
		loadOpts = append(loadOpts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		var nx config.SharedConfigProfileNotExistError
		if errors.As(err, &nx) {
			return aws.Config{}, fmt.Errorf("%w: %q in %s or %s", ErrProfile, nx.Profile, src.ConfigFile, src.CredentialsFile)
		}
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if _, err := ValidateRegion(cfg.Region); err != nil {
		return aws.Config{}, err
	}
	if mfaSerial != "" && o.SessionCache != nil {
		cfg.Credentials = aws.NewCredentialsCache(&cachedSession{provider: cfg.Credentials, cache: o.SessionCache,
			key: o.sessionCacheKey(src.Profile, mfaSerial), warn: o.Warn})
	}
	if o.RoleARN != "" {
		cfg.Credentials = o.assumeRole(cfg)
	}
	return cfg, nil
}

// ExplicitRegion returns the region the flag or the environment (AWS_REGION,
// AWS_DEFAULT_REGION) names, or "" when the profile, or DefaultRegion,
// decides.
func (o CredentialOptions) ExplicitRegion() string {
	return credsource.ExplicitRegion(o.Region, o.Getenv)
}

// assumeRole returns a cached provider of o.RoleARN's credentials, assumed
// with cfg's.
func (o CredentialOptions) assumeRole(cfg aws.Config) aws.CredentialsProvider {
	client := sts.NewFromConfig(cfg, func(so *sts.Options) {
		if o.STSEndpoint != "" {
			so.BaseEndpoint = aws.String(o.STSEndpoint)
		}
	})
	session := o.SessionName
	if session == "" {
		session = "kubeiam-" + strconv.FormatInt(o.Now().Unix(), 10)
	}
	provider := func(session string) aws.CredentialsProvider {
		return stscreds.NewAssumeRoleProvider(client, o.RoleARN, func(ao *stscreds.AssumeRoleOptions) {
			ao.RoleSessionName = session
			if o.ExternalID != "" {
				ao.ExternalID = aws.String(o.ExternalID)
			}
		})
	}
	if o.ForwardSessionName {
		return aws.NewCredentialsCache(&forwardedSession{client: client, fallback: session, assume: provider})
	}
	return aws.NewCredentialsCache(provider(session))
}

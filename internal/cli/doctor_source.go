package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// The kinds of credential source doctor tells apart, for their fixes.
const (
	sourceKeys        = "static keys"
	sourceSSO         = "IAM Identity Center (SSO)"
	sourceAssumeRole  = "assume-role"
	sourceProcess     = "credential_process"
	sourceWebIdentity = "web identity"
	sourceEnv         = "environment"
	sourceOther       = "container or instance credentials"
)

// credSource is where the exec plugin's credentials come from: what doctor
// names, and what the fixes of a refusal depend on.
type credSource struct {
	src  tokengen.Source
	kind string
	// name is the source as printed: `profile "dev" (IAM Identity Center (SSO))`;
	// base is the same without the plugin's --role-arn.
	name, base string
	// sourceProfile is the profile whose credentials assume a profile's role.
	sourceProfile string
	// profile is the profile's shared configuration, when it has one.
	profile *config.SharedConfig
	// roleARN is the role the plugin assumes (--role-arn), if any.
	roleARN string
}

// describeSource finds the source the SDK will use, reading the profile's
// shared configuration when the source is a profile.
func describeSource(ctx context.Context, o tokengen.CredentialOptions) credSource {
	s := credSource{src: o.Source(), roleARN: o.RoleARN}
	switch s.src.Kind {
	case tokengen.SourceEnv:
		s.kind, s.name = sourceEnv, "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (key "+s.src.AccessKeyID+")"
	case tokengen.SourceWebIdentity:
		s.kind, s.name = sourceWebIdentity, fmt.Sprintf("web identity token %s for role %s", s.src.WebIdentityTokenFile, s.src.RoleARN)
	default:
		s.kind = sourceOther
		sc, err := config.LoadSharedConfigProfile(ctx, s.src.Profile, func(lo *config.LoadSharedConfigOptions) {
			lo.ConfigFiles, lo.CredentialsFiles = []string{s.src.ConfigFile}, []string{s.src.CredentialsFile}
		})
		if err == nil {
			s.kind = profileKind(sc)
			s.sourceProfile = sc.SourceProfileName
			s.profile = &sc
		}
		how := "AWS_PROFILE"
		if s.src.Kind == tokengen.SourceProfileFlag {
			how = "--profile"
		}
		s.name = fmt.Sprintf("profile %q (%s, %s)", s.src.Profile, how, s.kind)
		if s.kind == sourceOther {
			s.name = fmt.Sprintf("profile %q (%s: not in %s or %s), then container and instance credentials", s.src.Profile, how, s.src.ConfigFile, s.src.CredentialsFile)
		}
	}
	s.base = s.name
	if s.roleARN != "" {
		s.name += ", assuming role " + s.roleARN
	}
	return s
}

func profileKind(sc config.SharedConfig) string {
	switch {
	case sc.SSOSessionName != "" || sc.SSOStartURL != "":
		return sourceSSO
	case sc.RoleARN != "" && sc.WebIdentityTokenFile != "":
		return sourceWebIdentity
	case sc.RoleARN != "":
		return sourceAssumeRole
	case sc.CredentialProcess != "":
		return sourceProcess
	case sc.Credentials.HasKeys():
		return sourceKeys
	}
	return sourceOther
}

// profileFlag spells the profile for an aws command.
func (s credSource) profileFlag(profile string) string {
	if profile == "" || profile == "default" {
		return ""
	}
	return " --profile " + profile
}

// refusedFix is what gets STS to accept this source's credentials again.
func (s credSource) refusedFix() string {
	check := "check with: aws sts get-caller-identity" + s.profileFlag(s.src.Profile)
	switch s.kind {
	case sourceEnv:
		return "export a valid key pair in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a new one: aws iam create-access-key), " +
			"or use your profile instead: unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; " + check
	case sourceSSO:
		return "aws sso login" + s.profileFlag(s.src.Profile) + "; " + check
	case sourceAssumeRole:
		return fmt.Sprintf("the source credentials of profile %q (profile %q) are refused: aws configure%s; %s",
			s.src.Profile, s.sourceProfile, s.profileFlag(s.sourceProfile), check)
	case sourceKeys:
		return "enter a valid access key pair (the key may be deleted or deactivated; a new one: aws iam create-access-key): aws configure" +
			s.profileFlag(s.src.Profile) + "; " + check
	}
	return check
}

// expiredFix is what renews this source's expired credentials.
func (s credSource) expiredFix() string {
	check := "check with: aws sts get-caller-identity" + s.profileFlag(s.src.Profile)
	switch s.kind {
	case sourceSSO:
		return "aws sso login" + s.profileFlag(s.src.Profile) + "; " + check
	case sourceEnv:
		return "the session in AWS_SESSION_TOKEN expired: export fresh credentials (rerun what set them), " +
			"or use your profile instead: unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; " + check
	case sourceProcess:
		return "the credential_process of the profile returned expired credentials: run it by hand and renew its login; " + check
	case sourceKeys:
		return "the profile holds session credentials (aws_session_token) that expired: write fresh ones, or long-term keys: aws configure" +
			s.profileFlag(s.src.Profile) + "; " + check
	}
	return "renew the credentials; " + check
}

// stsEndpointEnv is the AWS SDKs' and AWS CLI's variable for the STS
// endpoint ("Service-specific endpoints", AWS SDKs and Tools Reference
// Guide); the diagnosis commands default --sts-endpoint to it.
const stsEndpointEnv = "AWS_ENDPOINT_URL_STS"

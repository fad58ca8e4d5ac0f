package cli

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// The credential types doctor names, spelled as the AWS CLI's "aws
// configure list" spells them in its Type column (botocore's credential
// provider methods: env, shared-credentials-file, config-file, ...).
const (
	typeEnv         = "env"
	typeSharedFile  = "shared-credentials-file"
	typeConfigFile  = "config-file"
	typeAssumeRole  = "assume-role"
	typeWebIdentity = "assume-role-with-web-identity"
	typeSSO         = "sso"
	typeProcess     = "custom-process"
	typeContainer   = "container-role"
	typeInstance    = "iam-role"
	typeLogin       = "login"
)

// used names the source the SDK actually resolved the credentials from
// (aws.Credentials.Source, set by the provider that produced them), as
// "TYPE (where)", with TYPE as "aws configure list" shows it.
func (s credSource) used(c aws.Credentials) string {
	typ, where := s.resolved(c)
	if s.roleARN != "" && typ == typeAssumeRole {
		// The plugin's own --role-arn wraps whatever the chain found.
		return fmt.Sprintf("%s (role %s, --role-arn, with the credentials of %s)", typ, s.roleARN, s.base)
	}
	return typ + " (" + where + ")"
}

// resolved maps the SDK's provider name to the type and the place it read.
func (s credSource) resolved(c aws.Credentials) (typ, where string) {
	profile := s.profileSpelling()
	switch src := c.Source; {
	case s.src.Kind == tokengen.SourceEnv && (src == config.CredentialsSourceName || src == "StaticCredentials"):
		where = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, key " + maskKey(c.AccessKeyID)
		if c.SessionToken != "" {
			where += ", with AWS_SESSION_TOKEN"
		}
		return typeEnv, where
	case strings.HasPrefix(src, "SharedConfigCredentials: "):
		file := strings.TrimPrefix(src, "SharedConfigCredentials: ")
		typ = typeConfigFile
		if file == s.src.CredentialsFile {
			typ = typeSharedFile
		}
		return typ, fmt.Sprintf("%s in %s, key %s", profile, file, maskKey(c.AccessKeyID))
	case src == stscreds.ProviderName || src == tokengen.MFASessionSource:
		where = profile
		if p := s.profile; p != nil && p.RoleARN != "" {
			where += ": role_arn " + p.RoleARN
			switch {
			case p.SourceProfileName != "":
				where += ", source_profile " + p.SourceProfileName
			case p.CredentialSource != "":
				where += ", credential_source " + p.CredentialSource
			}
			if p.MFASerial != "" {
				where += ", mfa_serial " + p.MFASerial
			}
		}
		if src == tokengen.MFASessionSource {
			where += ", from kubeiam's MFA session cache"
		}
		return typeAssumeRole, where
	case src == stscreds.WebIdentityProviderName:
		if s.src.Kind == tokengen.SourceWebIdentity {
			return typeWebIdentity, fmt.Sprintf("AWS_WEB_IDENTITY_TOKEN_FILE %s, AWS_ROLE_ARN %s", s.src.WebIdentityTokenFile, s.src.RoleARN)
		}
		if p := s.profile; p != nil {
			return typeWebIdentity, fmt.Sprintf("%s: web_identity_token_file %s, role_arn %s", profile, p.WebIdentityTokenFile, p.RoleARN)
		}
		return typeWebIdentity, profile
	case src == ssocreds.ProviderName:
		if p := s.profile; p != nil && p.SSOSessionName != "" {
			return typeSSO, fmt.Sprintf("%s: sso_session %s, account %s, role %s", profile, p.SSOSessionName, p.SSOAccountID, p.SSORoleName)
		}
		if p := s.profile; p != nil {
			return typeSSO, fmt.Sprintf("%s: sso_start_url %s, account %s, role %s", profile, p.SSOStartURL, p.SSOAccountID, p.SSORoleName)
		}
		return typeSSO, profile
	case src == processcreds.ProviderName:
		if p := s.profile; p != nil {
			return typeProcess, fmt.Sprintf("%s: credential_process %s", profile, p.CredentialProcess)
		}
		return typeProcess, profile
	case src == endpointcreds.ProviderName:
		return typeContainer, "the container credentials endpoint of AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	case src == ec2rolecreds.ProviderName:
		return typeInstance, "the EC2 instance metadata service (IMDS)"
	case src == "LoginProvider":
		return typeLogin, profile
	case src == "":
		return "unknown", s.name
	default:
		return src, s.name
	}
}

// profileSpelling is the profile and what chose it: `profile "dev"
// (AWS_PROFILE)`.
func (s credSource) profileSpelling() string {
	how := "AWS_PROFILE"
	switch {
	case s.src.Kind == tokengen.SourceProfileFlag:
		how = "--profile"
	case s.src.Profile == "default":
		how = "the default profile"
	}
	return fmt.Sprintf("profile %q (%s)", s.src.Profile, how)
}

// maskKey shows an access key ID as "aws configure list" does: its last
// four characters.
func maskKey(id string) string {
	if len(id) < 4 {
		return "****"
	}
	return strings.Repeat("*", 16) + id[len(id)-4:]
}

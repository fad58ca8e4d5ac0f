package tokengen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/config"
)

// SourceKind is where the SDK's default chain finds the source credentials.
type SourceKind int

// The source kinds, in the SDK's order of precedence.
const (
	// SourceProfileFlag: a profile given with --profile.
	SourceProfileFlag SourceKind = iota + 1
	// SourceEnv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	SourceEnv
	// SourceWebIdentity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (EKS
	// pod identity through IRSA, GitHub Actions OIDC).
	SourceWebIdentity
	// SourceProfile: AWS_PROFILE, or the "default" profile, then the
	// container and EC2 instance credentials.
	SourceProfile
)

// Source describes, from the environment and flags alone, where the
// credentials will come from. It is what error messages name and what the
// token cache keys on; computing it reads no file.
type Source struct {
	Kind SourceKind
	// Profile is the profile name for SourceProfileFlag and SourceProfile.
	Profile string
	// AccessKeyID is the environment's access key ID for SourceEnv.
	AccessKeyID string
	// WebIdentityTokenFile and RoleARN are set for SourceWebIdentity.
	WebIdentityTokenFile, RoleARN string
	// ConfigFile and CredentialsFile are the shared files the SDK reads.
	ConfigFile, CredentialsFile string
}

// Source returns where the credentials will come from, following the
// SDK's precedence: --profile, then keys in the environment, then web
// identity, then AWS_PROFILE or "default" (and beyond it containers and
// IMDS).
func (o CredentialOptions) Source() Source {
	s := Source{ConfigFile: o.Getenv("AWS_CONFIG_FILE"), CredentialsFile: o.Getenv("AWS_SHARED_CREDENTIALS_FILE")}
	if s.ConfigFile == "" {
		s.ConfigFile = o.defaultFile("config", config.DefaultSharedConfigFilename)
	}
	if s.CredentialsFile == "" {
		s.CredentialsFile = o.defaultFile("credentials", config.DefaultSharedCredentialsFilename)
	}
	akid := firstEnv(o.Getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstEnv(o.Getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	switch {
	case o.Profile != "":
		s.Kind, s.Profile = SourceProfileFlag, o.Profile
	case akid != "" && secret != "":
		s.Kind, s.AccessKeyID = SourceEnv, akid
	case o.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
		s.Kind, s.WebIdentityTokenFile, s.RoleARN = SourceWebIdentity, o.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), o.Getenv("AWS_ROLE_ARN")
	default:
		s.Kind, s.Profile = SourceProfile, firstEnv(o.Getenv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
		if s.Profile == "" {
			s.Profile = "default"
		}
	}
	return s
}

func (o CredentialOptions) defaultFile(name string, sdkDefault func() string) string {
	if home := o.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".aws", name)
	}
	return sdkDefault()
}

func firstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// String names the source for an error message.
func (s Source) String() string {
	switch s.Kind {
	case SourceProfileFlag:
		return fmt.Sprintf("profile %q (--profile) in %s and %s", s.Profile, s.ConfigFile, s.CredentialsFile)
	case SourceEnv:
		return "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case SourceWebIdentity:
		return fmt.Sprintf("web identity token file %s (AWS_WEB_IDENTITY_TOKEN_FILE) for role %q (AWS_ROLE_ARN)", s.WebIdentityTokenFile, s.RoleARN)
	}
	return fmt.Sprintf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profile %q in %s and %s, container and EC2 instance credentials", s.Profile, s.ConfigFile, s.CredentialsFile)
}

// Fingerprint identifies the source credentials cheaply, without asking
// the SDK or AWS, so that a token cache hit costs a few stat calls: the
// access key ID for keys in the environment; the profile name and the
// modification times of the shared files for profiles; the token file
// path, its modification time and the role for web identity.
//
// The trade-off: what the files do not show goes unnoticed until cached
// tokens expire (at most 14 minutes), for example an SSO login as another
// user without touching ~/.aws/config, or a new instance role. The result
// is a SHA-256, so access key IDs are not written to the cache.
func (s Source) Fingerprint() string {
	var id string
	switch s.Kind {
	case SourceEnv:
		id = "env\x00" + s.AccessKeyID
	case SourceWebIdentity:
		id = "web-identity\x00" + s.WebIdentityTokenFile + "\x00" + mtime(s.WebIdentityTokenFile) + "\x00" + s.RoleARN
	default:
		id = "profile\x00" + strconv.Itoa(int(s.Kind)) + "\x00" + s.Profile + "\x00" + mtime(s.ConfigFile) + "\x00" + mtime(s.CredentialsFile)
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// mtime returns the file's modification time in nanoseconds, or "-" when
// it cannot be read.
func mtime(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "-"
	}
	return strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

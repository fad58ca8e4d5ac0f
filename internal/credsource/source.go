// Package credsource tells, from flags, the environment and a few stat
// calls, where the AWS SDK's default credential chain will find the
// credentials "kubeiam token" signs with, without loading the SDK. It is
// what error messages name and what the token cache keys on, and it is
// small on purpose: the token plugin's cache-hit path imports it, and
// must not pay for the SDK's package initialisation.
package credsource

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Kind is where the SDK's default chain finds the source credentials.
type Kind int

// The source kinds, in the SDK's order of precedence.
const (
	// ProfileFlag: a profile given with --profile.
	ProfileFlag Kind = iota + 1
	// Env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
	Env
	// WebIdentity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (EKS
	// pod identity through IRSA, GitHub Actions OIDC).
	WebIdentity
	// Profile: AWS_PROFILE, or the "default" profile, then the container
	// and EC2 instance credentials.
	Profile
)

// Source describes where the credentials will come from.
type Source struct {
	Kind Kind
	// Profile is the profile name for ProfileFlag and Profile.
	Profile string
	// AccessKeyID is the environment's access key ID for Env.
	AccessKeyID string
	// WebIdentityTokenFile and RoleARN are set for WebIdentity.
	WebIdentityTokenFile, RoleARN string
	// ConfigFile and CredentialsFile are the shared files the SDK reads.
	ConfigFile, CredentialsFile string
	// Home is the home directory the files are under (the SSO token cache
	// is HOME/.aws/sso/cache); "" when unknown.
	Home string
}

// Detect returns where the credentials will come from, following the
// SDK's precedence: the --profile flag, then keys in the environment, then
// web identity, then AWS_PROFILE or "default" (and beyond it containers
// and IMDS). It reads no file.
func Detect(profileFlag string, getenv func(string) string) Source {
	s := Source{ConfigFile: getenv("AWS_CONFIG_FILE"), CredentialsFile: getenv("AWS_SHARED_CREDENTIALS_FILE"), Home: getenv("HOME")}
	if s.Home == "" {
		// As the SDK does (internal/shareddefaults.UserHomeDir).
		s.Home, _ = os.UserHomeDir()
	}
	if s.ConfigFile == "" {
		s.ConfigFile = filepath.Join(s.Home, ".aws", "config")
	}
	if s.CredentialsFile == "" {
		s.CredentialsFile = filepath.Join(s.Home, ".aws", "credentials")
	}
	akid := FirstEnv(getenv, "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := FirstEnv(getenv, "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	switch {
	case profileFlag != "":
		s.Kind, s.Profile = ProfileFlag, profileFlag
	case akid != "" && secret != "":
		s.Kind, s.AccessKeyID = Env, akid
	case getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
		s.Kind, s.WebIdentityTokenFile, s.RoleARN = WebIdentity, getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), getenv("AWS_ROLE_ARN")
	default:
		s.Kind, s.Profile = Profile, FirstEnv(getenv, "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
		if s.Profile == "" {
			s.Profile = "default"
		}
	}
	return s
}

// FirstEnv returns the first non-empty variable of names.
func FirstEnv(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// ExplicitRegion returns the region the flag or the environment
// (AWS_REGION, AWS_DEFAULT_REGION) names, or "" when the profile, or the
// default region, decides.
func ExplicitRegion(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return FirstEnv(getenv, "AWS_REGION", "AWS_DEFAULT_REGION")
}

// String names the source for an error message.
func (s Source) String() string {
	switch s.Kind {
	case ProfileFlag:
		return fmt.Sprintf("profile %q (--profile) in %s and %s", s.Profile, s.ConfigFile, s.CredentialsFile)
	case Env:
		return "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case WebIdentity:
		return fmt.Sprintf("web identity token file %s (AWS_WEB_IDENTITY_TOKEN_FILE) for role %q (AWS_ROLE_ARN)", s.WebIdentityTokenFile, s.RoleARN)
	}
	return fmt.Sprintf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profile %q in %s and %s, container and EC2 instance credentials", s.Profile, s.ConfigFile, s.CredentialsFile)
}

// Fingerprint identifies the source credentials cheaply, without asking
// the SDK or AWS, so that a token cache hit costs a few stat calls: the
// access key ID for keys in the environment; for profiles, the profile
// name, the modification times of the shared files and of the SSO token
// cache (so "aws sso login" as anyone, or "aws configure", is a new
// identity); the token file path, its modification time and the role for
// web identity.
//
// The trade-off: what no file shows goes unnoticed until cached tokens
// expire (at most 14 minutes), for example a new instance role. The result
// is a SHA-256, so access key IDs are not written to the cache.
func (s Source) Fingerprint() string {
	var id string
	switch s.Kind {
	case Env:
		id = "env\x00" + s.AccessKeyID
	case WebIdentity:
		id = "web-identity\x00" + s.WebIdentityTokenFile + "\x00" + mtime(s.WebIdentityTokenFile) + "\x00" + s.RoleARN
	default:
		id = "profile\x00" + strconv.Itoa(int(s.Kind)) + "\x00" + s.Profile + "\x00" + mtime(s.ConfigFile) + "\x00" + mtime(s.CredentialsFile) +
			"\x00" + dirStamp(s.SSOCacheDir())
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// SSOCacheDir is where the AWS CLI's "aws sso login" leaves the SSO
// access token the SDK reads (~/.aws/sso/cache/SHA1.json).
func (s Source) SSOCacheDir() string {
	if s.Home == "" {
		return ""
	}
	return filepath.Join(s.Home, ".aws", "sso", "cache")
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

// dirStamp summarises a small directory: the names, sizes and
// modification times of its entries, so that rewriting a file in place
// (which leaves the directory's own mtime alone) still shows.
func dirStamp(dir string) string {
	if dir == "" {
		return "-"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "-"
	}
	h := sha256.New()
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", e.Name(), fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))
}

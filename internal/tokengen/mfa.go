package tokengen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/kubeiam/kubeiam/internal/tokencache"
)

// ErrMFARequired: the profile assumes a role with mfa_serial and no MFA
// code can be asked for (CredentialOptions.MFACode is nil or refuses).
var ErrMFARequired = errors.New("MFA code required")

// MFASessionDuration is how long a role assumed with MFA lasts when the
// profile sets no duration_seconds: the AWS CLI's default of one hour
// (duration_seconds, "Configuration and credential file settings", AWS CLI
// User Guide), rather than the Go SDK's 15 minutes, so that the code is
// not asked for every quarter of an hour.
const MFASessionDuration = time.Hour

// SessionCache keeps credentials until they expire; *tokencache.Cache is
// one.
type SessionCache interface {
	Get(key string) (tokencache.Token, bool)
	Put(key string, t tokencache.Token) error
}

// mfaOptions returns the SDK option that answers a profile's mfa_serial,
// and reports through *serial whether the profile has one (the SDK applies
// the option while loading, to check that a code can be had).
func (o CredentialOptions) mfaOptions(profile string, serial *string) func(*stscreds.AssumeRoleOptions) {
	return func(ao *stscreds.AssumeRoleOptions) {
		if ao.SerialNumber == nil {
			return
		}
		s := *ao.SerialNumber
		*serial = s
		if ao.Duration == 0 {
			ao.Duration = MFASessionDuration
		}
		ao.TokenProvider = func() (string, error) {
			if o.MFACode == nil {
				return "", fmt.Errorf("%w: profile %q assumes its role with MFA device %s", ErrMFARequired, profile, s)
			}
			return o.MFACode(profile, s)
		}
	}
}

// sessionCacheKey names a profile's MFA session in the cache: the profile
// and the fingerprint of its source (the shared files' modification
// times), so an edited profile starts a new session.
func (o CredentialOptions) sessionCacheKey(profile, serial string) string {
	sum := sha256.Sum256([]byte("mfa-session\x00" + profile + "\x00" + serial + "\x00" + o.Source().Fingerprint()))
	return hex.EncodeToString(sum[:])
}

// cachedSession serves a role session from the SessionCache while it
// lasts, and asks its provider (which prompts for the MFA code) otherwise.
type cachedSession struct {
	provider aws.CredentialsProvider
	cache    SessionCache
	key      string
	warn     func(error)
}

// MFASessionSource is the aws.Credentials.Source of a role session served
// from kubeiam's MFA session cache.
const MFASessionSource = "kubeiam MFA session cache"

type cachedCredentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
}

// Retrieve implements aws.CredentialsProvider.
func (c *cachedSession) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if t, ok := c.cache.Get(c.key); ok {
		var cc cachedCredentials
		if err := json.Unmarshal([]byte(t.Value), &cc); err == nil && cc.AccessKeyID != "" {
			return aws.Credentials{AccessKeyID: cc.AccessKeyID, SecretAccessKey: cc.SecretAccessKey, SessionToken: cc.SessionToken,
				Source: MFASessionSource, CanExpire: true, Expires: t.Expiration}, nil
		}
	}
	creds, err := c.provider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	if creds.CanExpire {
		b, _ := json.Marshal(cachedCredentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken})
		if err := c.cache.Put(c.key, tokencache.Token{Value: string(b), Expiration: creds.Expires}); err != nil && c.warn != nil {
			c.warn(fmt.Errorf("MFA session not cached: %w", err))
		}
	}
	return creds, nil
}

package tokenplugin

import (
	"os"
	"path/filepath"
	"time"

	"github.com/kubeiam/kubeiam/internal/credsource"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokencache"
)

// CacheKey returns the token cache key of a call: everything that decides
// which token would be minted, the source credentials fingerprinted so
// that another identity never reuses a token (credsource.Fingerprint).
func CacheKey(f Flags, getenv func(string) string) (string, error) {
	aud, err := token.ParseAudience(f.Audience)
	if err != nil {
		return "", usagef("--audience: %w", err)
	}
	return tokencache.Key(tokencache.KeyInput{
		// The signed binding, not the bare cluster ID: a cached cluster
		// token must never be handed out as an API token, or back.
		ClusterID: aud.Headers(f.ClusterName)[token.ClusterIDHeader], Region: credsource.ExplicitRegion(f.Region, getenv),
		Global: f.Global, Profile: f.Profile, RoleARN: f.RoleARN, SessionName: f.SessionName, ExternalID: f.ExternalID,
		STSEndpoint: f.STSEndpoint, ForwardSessionName: f.ForwardSessionName,
		Credentials: credsource.Detect(f.Profile, getenv).Fingerprint(),
	}), nil
}

// DefaultCacheDir is $XDG_CACHE_HOME/kubeiam/tokens or ~/.cache/kubeiam/tokens:
// a directory of its own, since the cache refuses a directory others can
// read, and ~/.cache/kubeiam also holds build artefacts.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "kubeiam", "tokens"), nil
}

// OpenCache returns the token cache in dir (DefaultCacheDir when ""), or
// nil when it is unusable: a broken cache is worth a warning, never a
// failure.
func OpenCache(dir string, now func() time.Time, warn func(error)) *tokencache.Cache {
	if dir == "" {
		var err error
		if dir, err = DefaultCacheDir(); err != nil {
			warn(err)
			return nil
		}
	}
	c, err := tokencache.Open(dir, now, tokencache.WithWarnings(warn))
	if err != nil {
		warn(err)
		return nil
	}
	return c
}

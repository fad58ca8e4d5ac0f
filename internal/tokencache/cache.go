// Package tokencache keeps the tokens "kubeiam token" prints in a private
// file, so that kubectl, which runs the plugin for every command, does not
// pay for loading AWS configuration and credentials each time.
//
// The file, DIR/tokens.json, holds bearer tokens: the directory must be
// 0700 and the file 0600, both owned by the user, or the cache is refused.
// Readers and writers serialise on DIR/tokens.json.lock with flock(2); a
// lock that cannot be taken in time degrades to "no cache", never to a
// hang. The file is replaced atomically (temporary file and rename), so a
// crash leaves the old or the new content, and a corrupt file is treated
// as empty and rewritten.
package tokencache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// File names inside the cache directory.
const (
	FileName     = "tokens.json"
	LockFileName = "tokens.json.lock"
)

// ReuseMargin is how long before its expiration a cached token stops being
// handed out, so kubectl never sends a token about to expire.
const ReuseMargin = time.Minute

// DefaultLockTimeout is how long Get and Put wait for the lock.
const DefaultLockTimeout = 2 * time.Second

// Errors reported to the warning function or returned, wrapped with detail.
var (
	// ErrUnsafe: the directory or file is not private to the user.
	ErrUnsafe = errors.New("token cache is not private")
	// ErrLocked: the lock could not be taken within the timeout.
	ErrLocked = errors.New("token cache is locked")
	// ErrCorrupt: the file could not be parsed; it is treated as empty.
	ErrCorrupt = errors.New("token cache file is corrupt")
	// ErrUnsupported: this platform cannot check ownership or lock files.
	ErrUnsupported = errors.New("token cache not supported on this platform")
)

// Token is a cached token and when clients must stop using it.
type Token struct {
	Value      string    `json:"token"`
	Expiration time.Time `json:"expiration"`
}

// usable reports whether t may still be handed out at now.
func (t Token) usable(now time.Time) bool {
	return t.Value != "" && now.Before(t.Expiration.Add(-ReuseMargin))
}

// KeyInput is everything that decides which token "kubeiam token" would
// print. Two invocations with equal inputs may share a token.
type KeyInput struct {
	ClusterID   string `json:"cluster_id"`
	Region      string `json:"region"` // as given by flag or environment; "" when the profile decides
	Global      bool   `json:"global"`
	Profile     string `json:"profile"`
	RoleARN     string `json:"role_arn"`
	SessionName string `json:"session_name"`
	ExternalID  string `json:"external_id"`
	STSEndpoint string `json:"sts_endpoint"`
	// ForwardSessionName: the session name is the caller's own.
	ForwardSessionName bool `json:"forward_session_name,omitempty"`
	// Credentials fingerprints the source credentials (see
	// credsource.Source.Fingerprint): a change of identity is a change of key.
	Credentials string `json:"credentials"`
}

// Key returns the cache key of in: a SHA-256, so the file names no
// cluster, role, profile or access key.
func Key(in KeyInput) string {
	b, err := json.Marshal(in)
	if err != nil {
		// A struct of strings and a bool always marshals.
		panic(fmt.Sprintf("tokencache: marshalling key: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Cache is a token cache in one directory. It is safe for concurrent use,
// within a process and across processes.
type Cache struct {
	dir         string
	now         func() time.Time
	lockTimeout time.Duration
	warn        func(error)
}

// Option configures a Cache.
type Option func(*Cache)

// WithLockTimeout sets how long to wait for the lock; default DefaultLockTimeout.
func WithLockTimeout(d time.Duration) Option { return func(c *Cache) { c.lockTimeout = d } }

// WithWarnings sets the function told why Get missed for a reason other
// than "not cached" (unsafe file, lock timeout, corrupt file); by default
// such reasons are dropped.
func WithWarnings(warn func(error)) Option { return func(c *Cache) { c.warn = warn } }

// Open creates dir (mode 0700) if needed and checks that it is private to
// the user. now is the clock that decides expiry.
func Open(dir string, now func() time.Time, opts ...Option) (*Cache, error) {
	if dir == "" || now == nil {
		return nil, errors.New("tokencache: Open needs a directory and a clock")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating token cache directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("token cache directory: %w", err)
	}
	if err := checkPrivate(dir, fi); err != nil {
		return nil, err
	}
	c := &Cache{dir: dir, now: now, lockTimeout: DefaultLockTimeout, warn: func(error) {}}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Get returns the token cached under key if it is usable for at least
// ReuseMargin more. Any trouble with the file is a miss.
func (c *Cache) Get(key string) (Token, bool) {
	var (
		t  Token
		ok bool
	)
	err := c.withLock(false, func() error {
		entries, err := c.read()
		if err != nil {
			return err
		}
		t, ok = entries[key]
		ok = ok && t.usable(c.now())
		return nil
	})
	if err != nil {
		c.warn(err)
		return Token{}, false
	}
	if !ok {
		return Token{}, false
	}
	return t, true
}

// Put caches t under key, drops entries past their reuse window and
// rewrites the file atomically. A corrupt file is replaced; an unsafe one
// is left alone and reported.
func (c *Cache) Put(key string, t Token) error {
	return c.withLock(true, func() error {
		entries, err := c.read()
		if errors.Is(err, ErrCorrupt) {
			// Get has already warned; this is the repair.
			entries, err = map[string]Token{}, nil
		}
		if err != nil {
			return err
		}
		now := c.now()
		for k, e := range entries {
			if !e.usable(now) {
				delete(entries, k)
			}
		}
		if t.usable(now) {
			entries[key] = t
		}
		return c.write(entries)
	})
}

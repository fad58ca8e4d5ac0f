package localsts

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// caller is the principal behind an access key: an IAM user with a
// long-term key, or a role session with temporary credentials.
type caller struct {
	principal    arn.Principal
	arn          string
	userID       string
	accessKeyID  string
	secret       string
	sessionToken string    // empty for long-term keys
	expires      time.Time // zero for long-term keys
}

// role is an assumable role with its parsed trust list. A role is
// immutable: RecreateRole replaces it.
type role struct {
	principal  arn.Principal
	arn        string
	roleID     string
	generation int
	created    time.Time
	trustAll   bool
	trust      []arn.Principal
	trustText  []string // as configured, for GetRole's trust policy
	mfaCode    string   // the TokenCode AssumeRole needs; "" when MFA is not required
}

// user is an IAM user as GetUser reports it, whether or not it has keys.
type user struct {
	principal arn.Principal
	arn       string
	userID    string
	created   time.Time
}

// trusts reports whether c may assume r. A role ARN trusts every session of
// the role, a root ARN every principal of its account; names match as
// internal/arn matches them (no path, any case).
func (r *role) trusts(c *caller) bool {
	if r.trustAll {
		return true
	}
	for _, t := range r.trust {
		switch t.Kind {
		case arn.KindRoot:
			if t.Partition == c.principal.Partition && t.Account == c.principal.Account {
				return true
			}
		case arn.KindAssumedRole:
			if c.principal.Kind == arn.KindAssumedRole && t.Key() == c.principal.Key() && t.Session == c.principal.Session {
				return true
			}
		default:
			if t.Key() == c.principal.Key() {
				return true
			}
		}
	}
	return false
}

// directory holds the static identities of a Config and the sessions
// issued since start. Sessions live in memory only and are bounded: when
// full, expired sessions go first, then the oldest.
type directory struct {
	users    map[string]*caller // by access key ID
	iamUsers map[string]*user   // by arn.Principal.Key()

	mu          sync.Mutex
	roles       map[string]*role   // by arn.Principal.Key()
	sessions    map[string]*caller // by access key ID
	order       []string           // session access key IDs, oldest first
	maxSessions int
}

func newDirectory(cfg *Config, maxSessions int, now time.Time) (*directory, error) {
	d := &directory{
		users:       map[string]*caller{},
		iamUsers:    map[string]*user{},
		roles:       map[string]*role{},
		sessions:    map[string]*caller{},
		maxSessions: maxSessions,
	}
	for _, a := range cfg.Accounts {
		for _, u := range a.Users {
			p, err := arn.Parse("arn:" + cfg.Partition + ":iam::" + a.ID + ":user" + u.Path + u.Name)
			if err != nil {
				return nil, fmt.Errorf("user %s: %w", u.Name, err)
			}
			iu := &user{principal: p, arn: p.String(), userID: uniqueID("AIDA", p.Key(), u.Generation), created: now}
			d.iamUsers[p.Key()] = iu
			for _, k := range u.AccessKeys {
				d.users[k.AccessKeyID] = &caller{principal: p, arn: iu.arn, userID: iu.userID,
					accessKeyID: k.AccessKeyID, secret: k.SecretAccessKey}
			}
		}
		for _, r := range a.Roles {
			p, err := arn.Parse("arn:" + cfg.Partition + ":iam::" + a.ID + ":role" + r.Path + r.Name)
			if err != nil {
				return nil, fmt.Errorf("role %s: %w", r.Name, err)
			}
			entry := &role{principal: p, arn: p.String(), roleID: uniqueID("AROA", p.Key(), r.Generation),
				generation: r.Generation, created: now, trustText: append([]string(nil), r.Trust...), mfaCode: r.MFACode}
			for _, t := range r.Trust {
				if t == "*" {
					entry.trustAll = true
					continue
				}
				tp, err := arn.Parse(t)
				if err != nil {
					return nil, fmt.Errorf("role %s trust: %w", r.Name, err)
				}
				entry.trust = append(entry.trust, tp)
			}
			d.roles[p.Key()] = entry
		}
	}
	return d, nil
}

// lookup returns the caller owning accessKeyID, checking a temporary
// credential's session token and expiry. The token comparison is constant
// time. Errors are *APIError as STS reports them.
func (d *directory) lookup(accessKeyID, sessionToken string, now time.Time) (*caller, error) {
	if c, ok := d.users[accessKeyID]; ok {
		if sessionToken != "" {
			return nil, errInvalidClientTokenID()
		}
		return c, nil
	}
	d.mu.Lock()
	c, ok := d.sessions[accessKeyID]
	d.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(sessionToken), []byte(c.sessionToken)) != 1 {
		return nil, errInvalidClientTokenID()
	}
	if !now.Before(c.expires) {
		return nil, errExpiredToken()
	}
	return c, nil
}

// role returns the role an ARN names, matched as internal/arn matches.
func (d *directory) role(p arn.Principal) (*role, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.roles[p.Key()]
	return r, ok
}

// recreateRole replaces the role p names with its next generation, as if it
// had been deleted and created again with the same name and trust: a new
// unique ID, and the old role's sessions gone with it.
func (d *directory) recreateRole(p arn.Principal, now time.Time) (*role, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.roles[p.Key()]
	if !ok {
		return nil, false
	}
	next := *old
	next.generation++
	next.roleID = uniqueID("AROA", old.principal.Key(), next.generation)
	next.created = now
	d.roles[p.Key()] = &next
	kept := d.order[:0]
	for _, id := range d.order {
		c := d.sessions[id]
		if c.principal.Key() == old.principal.Key() {
			delete(d.sessions, id)
			continue
		}
		kept = append(kept, id)
	}
	d.order = kept
	return &next, true
}

// addSession stores c, evicting expired sessions and then the oldest when
// the directory is full.
func (d *directory) addSession(c *caller, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sessions) >= d.maxSessions {
		kept := d.order[:0]
		for _, id := range d.order {
			if now.Before(d.sessions[id].expires) {
				kept = append(kept, id)
			} else {
				delete(d.sessions, id)
			}
		}
		d.order = kept
	}
	for len(d.sessions) >= d.maxSessions && len(d.order) > 0 {
		delete(d.sessions, d.order[0])
		d.order = d.order[1:]
	}
	d.sessions[c.accessKeyID] = c
	d.order = append(d.order, c.accessKeyID)
}

// sessionCount returns the number of sessions held.
func (d *directory) sessionCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sessions)
}

// lockedReader serialises reads from a reader that may not be safe for
// concurrent use (a seeded test reader, say).
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// newSessionCredentials draws an ASIA access key ID, a 40-character secret
// and an opaque session token from rand.
func newSessionCredentials(rand io.Reader) (keyID, secret, token string, err error) {
	if keyID, err = randomString(rand, 16, upperAlnumAlphabet); err != nil {
		return "", "", "", err
	}
	if secret, err = randomString(rand, 40, secretAlphabet); err != nil {
		return "", "", "", err
	}
	raw := make([]byte, 96)
	if _, err = io.ReadFull(rand, raw); err != nil {
		return "", "", "", fmt.Errorf("read random bytes: %w", err)
	}
	return "ASIA" + keyID, secret, base64.StdEncoding.EncodeToString(raw), nil
}

// uniqueID derives the IAM unique ID of a principal's generation: the same
// on every start, another for each recreation. Generation 0 keeps the IDs
// of configs written before generations existed.
func uniqueID(prefix, key string, generation int) string {
	if generation == 0 {
		return stableID(prefix, key)
	}
	return stableID(prefix, key+"#"+strconv.Itoa(generation))
}

// stableID derives an IAM unique ID ("AIDA..." or "AROA...", 21
// characters) from a principal's key, so it is the same on every start.
func stableID(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	var b strings.Builder
	b.WriteString(prefix)
	for _, c := range sum[:17] {
		b.WriteByte(upperAlnumAlphabet[int(c)%len(upperAlnumAlphabet)])
	}
	return b.String()
}

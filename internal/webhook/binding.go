package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Binder signs the identity a TokenReview hands out, so the authorization
// webhook grants access policies only to users this server authenticated.
//
// Why: a SubjectAccessReview carries the user's extras, and a user allowed
// to impersonate can set any extra (Impersonate-Extra-arn: ...). Without a
// binding, impersonating "someone with arn X" would earn X's access
// policies. EKS documents that impersonated requests get no access-policy
// permissions; the binding is how kubeiam tells them apart. The key lives in
// the state directory and never leaves the server.
//
// A binding covers the username, uid, groups, ARN and access key ID, so it
// is worthless for any other identity, and it carries its expiry inside the
// MAC: bindings are visible (kubectl auth whoami, audit logs, a
// CertificateSigningRequest's spec.extra), and one copied from there must
// not work for long. The lifetime must outlast kube-apiserver's token cache
// (--authentication-token-webhook-cache-ttl, default 2m), which keeps
// serving the binding it got with the identity.
type Binder struct {
	key      []byte
	lifetime time.Duration
	// macs holds *macState: keyed HMAC-SHA256 states with an input
	// buffer. Every TokenReview signs and every SubjectAccessReview
	// verifies, and hmac.New hashes the key into two new digests each
	// time. A state is Reset before it is returned.
	macs sync.Pool
}

// Subject is the identity a binding covers.
type Subject struct {
	Username, UID string
	// Groups are compared as a set, without system:authenticated, which
	// kube-apiserver adds to every authenticated user after the webhook
	// answered.
	Groups           []string
	ARN, AccessKeyID string
}

// bindingVersion prefixes every binding; bindings of another version (the
// unversioned ones of earlier releases) never verify.
const bindingVersion = "v2"

// Reasons a binding does not verify.
var (
	ErrBindingMalformed = errors.New("binding malformed")
	ErrBindingExpired   = errors.New("binding expired")
	ErrBindingMismatch  = errors.New("binding does not match the user")
)

// NewBinder returns a Binder with the given secret key (at least 32 bytes)
// whose bindings live for lifetime (positive).
func NewBinder(key []byte, lifetime time.Duration) (*Binder, error) {
	if len(key) < 32 {
		return nil, errors.New("binding key must be at least 32 bytes")
	}
	if lifetime <= 0 {
		return nil, errors.New("binding lifetime must be positive")
	}
	b := &Binder{key: append([]byte(nil), key...), lifetime: lifetime}
	b.macs.New = func() any { return &macState{h: hmac.New(sha256.New, b.key)} }
	return b, nil
}

// Sign returns the binding for s, issued at now: "v2.<expiry unix
// seconds>.<HMAC-SHA256>".
func (b *Binder) Sign(s Subject, now time.Time) string {
	var buf [64]byte
	out := append(buf[:0], bindingVersion+"."...)
	out = strconv.AppendInt(out, now.Add(b.lifetime).Unix(), 10)
	exp := out[len(bindingVersion)+1:]
	var sum [sha256.Size]byte
	mac := b.mac(sum[:0], string(exp), s)
	out = append(out, '.')
	out = base64.RawURLEncoding.AppendEncode(out, mac)
	return string(out)
}

// Verify checks binding for s at now; nil means it was signed by this key
// for exactly this subject and has not expired.
func (b *Binder) Verify(binding string, s Subject, now time.Time) error {
	parts := strings.Split(binding, ".")
	if len(parts) != 3 || parts[0] != bindingVersion {
		return ErrBindingMalformed
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || strconv.FormatInt(exp, 10) != parts[1] {
		return ErrBindingMalformed
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return ErrBindingMalformed
	}
	// The MAC first, so that the answer for a forged binding does not
	// depend on the expiry it claims.
	var sum [sha256.Size]byte
	if !hmac.Equal(got, b.mac(sum[:0], parts[1], s)) {
		return ErrBindingMismatch
	}
	if !now.Before(time.Unix(exp, 0)) {
		return ErrBindingExpired
	}
	return nil
}

// mac appends to dst the HMAC of the version, the expiry and the subject,
// each field length-prefixed so that no two subjects encode alike.
func (b *Binder) mac(dst []byte, exp string, s Subject) []byte {
	st := b.macs.Get().(*macState)
	buf := st.buf[:0]
	field := func(v string) {
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	field(bindingVersion)
	field(exp)
	field(s.Username)
	field(s.UID)
	field(s.ARN)
	field(s.AccessKeyID)
	groups := normalGroups(s.Groups)
	buf = binary.AppendUvarint(buf, uint64(len(groups)))
	for _, g := range groups {
		field(g)
	}
	st.h.Write(buf)
	dst = st.h.Sum(dst)
	st.h.Reset()
	if cap(buf) <= 4<<10 { // one subject with a huge group list must not stay pinned
		st.buf = buf
	} else {
		st.buf = nil
	}
	b.macs.Put(st)
	return dst
}

// macState is a keyed HMAC and the buffer its input is built in (a
// buffer handed to hash.Hash.Write escapes, so it is pooled too).
type macState struct {
	h   hash.Hash
	buf []byte
}

// authenticatedGroup is added by kube-apiserver to every authenticated user.
const authenticatedGroup = "system:authenticated"

// normalGroups is the sorted set of groups without system:authenticated.
func normalGroups(groups []string) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		if g != authenticatedGroup {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

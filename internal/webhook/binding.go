package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Binder signs the identity a TokenReview hands out, so the authorization
// webhook grants access policies only to users this server authenticated.
//
// Why: a SubjectAccessReview carries the user's extras, and a user allowed
// to impersonate can set any extra (Impersonate-Extra-arn: ...). Without a
// binding, impersonating "someone with arn X" would earn X's access
// policies. EKS documents that impersonated requests get no access-policy
// permissions; the binding is how kubeiam tells them apart. The key lives in
// memory (or the state directory) and never leaves the server.
type Binder struct {
	key []byte
}

// NewBinder returns a Binder with the given secret key (at least 32 bytes).
func NewBinder(key []byte) (*Binder, error) {
	if len(key) < 32 {
		return nil, errors.New("binding key must be at least 32 bytes")
	}
	return &Binder{key: append([]byte(nil), key...)}, nil
}

// Sign returns the binding for a user.
func (b *Binder) Sign(username, uid, arn, accessKeyID string) string {
	m := hmac.New(sha256.New, b.key)
	for _, s := range []string{username, uid, arn, accessKeyID} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether binding matches the user.
func (b *Binder) Verify(binding, username, uid, arn, accessKeyID string) bool {
	want := b.Sign(username, uid, arn, accessKeyID)
	return hmac.Equal([]byte(want), []byte(binding))
}

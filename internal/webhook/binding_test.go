package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/webhook"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestNewBinderRefusesShortKeysAndNoLifetime(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if b, err := webhook.NewBinder(make([]byte, n), time.Minute); err == nil || b != nil {
			t.Errorf("NewBinder with a %d-byte key = %v, %v; want an error", n, b, err)
		}
	}
	if b, err := webhook.NewBinder(make([]byte, 32), 0); err == nil || b != nil {
		t.Errorf("NewBinder with no lifetime = %v, %v; want an error", b, err)
	}
}

// errAny stands for "any error" in TestBinder's table.
var errAny = errors.New("any error")

func TestBinder(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	b, err := webhook.NewBinder(key, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := webhook.Subject{Username: "dev-user", UID: "kubeiam:111122223333:AIDAX", Groups: []string{"devs", "ops"},
		ARN: "arn:aws:iam::111122223333:user/dev", AccessKeyID: "AKIAX"}
	sig := b.Sign(s, now)
	if err := b.Verify(sig, s, now); err != nil {
		t.Fatalf("a binding does not verify for the user it was signed for: %v", err)
	}
	with := func(f func(*webhook.Subject)) webhook.Subject {
		c := s
		c.Groups = append([]string(nil), s.Groups...)
		f(&c)
		return c
	}
	t.Run("groups are a set; system:authenticated is kube-apiserver's", func(t *testing.T) {
		for _, g := range [][]string{{"ops", "devs"}, {"system:authenticated", "devs", "ops", "devs"}} {
			if err := b.Verify(sig, with(func(c *webhook.Subject) { c.Groups = g }), now); err != nil {
				t.Errorf("groups %q: %v", g, err)
			}
		}
	})
	tests := []struct {
		name    string
		binding string
		subject webhook.Subject
		at      time.Time
		want    error
	}{
		{"other username", sig, with(func(c *webhook.Subject) { c.Username = "admin" }), now, webhook.ErrBindingMismatch},
		{"other uid", sig, with(func(c *webhook.Subject) { c.UID = "kubeiam:111122223333:AIDAY" }), now, webhook.ErrBindingMismatch},
		{"other arn", sig, with(func(c *webhook.Subject) { c.ARN = "arn:aws:iam::111122223333:user/admin" }), now, webhook.ErrBindingMismatch},
		{"other access key", sig, with(func(c *webhook.Subject) { c.AccessKeyID = "AKIAY" }), now, webhook.ErrBindingMismatch},
		{"one group more", sig, with(func(c *webhook.Subject) { c.Groups = append(c.Groups, "system:masters") }), now, webhook.ErrBindingMismatch},
		{"one group less", sig, with(func(c *webhook.Subject) { c.Groups = c.Groups[:1] }), now, webhook.ErrBindingMismatch},
		{"fields shifted", b.Sign(with(func(c *webhook.Subject) { c.Username += c.UID; c.UID = "" }), now), s, now, webhook.ErrBindingMismatch},
		{"a second before expiry", sig, s, now.Add(5*time.Minute - time.Second), nil},
		{"at expiry", sig, s, now.Add(5 * time.Minute), webhook.ErrBindingExpired},
		{"expiry forged", "v2.9999999999." + strings.SplitN(sig, ".", 3)[2], s, now, webhook.ErrBindingMismatch},
		{"empty binding", "", s, now, webhook.ErrBindingMalformed},
		{"unversioned binding of earlier releases", strings.SplitN(sig, ".", 3)[2], s, now, webhook.ErrBindingMalformed},
		{"truncated binding", sig[:len(sig)-1], s, now, errAny},
		{"MAC with one character more", sig + "A", s, now, errAny},
		{"expiry with a sign", "v2.+" + strings.SplitN(sig, ".", 3)[1] + "." + strings.SplitN(sig, ".", 3)[2], s, now, webhook.ErrBindingMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.Verify(tt.binding, tt.subject, tt.at)
			if tt.want == errAny && err != nil {
				return
			}
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("the key is copied", func(t *testing.T) {
		key[0] = 'x'
		if err := b.Verify(sig, s, now); err != nil {
			t.Errorf("changing the caller's key slice changed the binder: %v", err)
		}
	})
	t.Run("another key makes another binding", func(t *testing.T) {
		other, _ := webhook.NewBinder([]byte(strings.Repeat("o", 32)), 5*time.Minute)
		if err := other.Verify(sig, s, now); !errors.Is(err, webhook.ErrBindingMismatch) {
			t.Errorf("a binding under another key: %v", err)
		}
	})
}

// TestSignIsTheDocumentedMAC: a binding is "v2.<expiry>.<HMAC-SHA256 of the
// length-prefixed version, expiry, username, uid, ARN, access key ID and
// sorted groups>", computed here from scratch with a fresh HMAC; signing
// several times in a row (through the Binder's pooled states) gives the
// same bytes each time, so a pooled state never carries input over.
func TestSignIsTheDocumentedMAC(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	b, err := webhook.NewBinder(key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	s := webhook.Subject{Username: "alice", UID: "kubeiam:1:2", Groups: []string{"b", "a", "system:authenticated", "a"},
		ARN: "arn:aws:iam::111122223333:user/alice", AccessKeyID: "AKIAEXAMPLE"}
	exp := strconv.FormatInt(now.Add(time.Minute).Unix(), 10)
	var in []byte
	for _, f := range []string{"v2", exp, s.Username, s.UID, s.ARN, s.AccessKeyID} {
		in = binary.AppendUvarint(in, uint64(len(f)))
		in = append(in, f...)
	}
	in = binary.AppendUvarint(in, 2)
	for _, g := range []string{"a", "b"} {
		in = binary.AppendUvarint(in, uint64(len(g)))
		in = append(in, g...)
	}
	m := hmac.New(sha256.New, key)
	m.Write(in)
	want := "v2." + exp + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	for i := range 3 {
		if got := b.Sign(s, now); got != want {
			t.Fatalf("sign %d: %s, want %s", i, got, want)
		}
	}
}

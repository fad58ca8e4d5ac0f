package webhook_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/webhook"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestNewBinderRefusesShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if b, err := webhook.NewBinder(make([]byte, n)); err == nil || b != nil {
			t.Errorf("NewBinder with a %d-byte key = %v, %v; want an error", n, b, err)
		}
	}
}

func TestBinder(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	b, err := webhook.NewBinder(key)
	if err != nil {
		t.Fatal(err)
	}
	const user, uid, arn, akid = "dev-user", "kubeiam:111122223333:AIDAX", "arn:aws:iam::111122223333:user/dev", "AKIAX"
	sig := b.Sign(user, uid, arn, akid)
	if !b.Verify(sig, user, uid, arn, akid) {
		t.Fatal("a binding does not verify for the user it was signed for")
	}
	tests := []struct {
		name                          string
		binding, user, uid, arn, akid string
	}{
		{"other username", sig, "admin", uid, arn, akid},
		{"other uid", sig, user, "kubeiam:111122223333:AIDAY", arn, akid},
		{"other arn", sig, user, uid, "arn:aws:iam::111122223333:user/admin", akid},
		{"other access key", sig, user, uid, arn, "AKIAY"},
		{"fields shifted across the separator", b.Sign(user+uid, "", arn, akid), user, uid, arn, akid},
		{"empty binding", "", user, uid, arn, akid},
		{"truncated binding", sig[:len(sig)-1], user, uid, arn, akid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b.Verify(tt.binding, tt.user, tt.uid, tt.arn, tt.akid) {
				t.Error("verified")
			}
		})
	}
	t.Run("the key is copied", func(t *testing.T) {
		key[0] = 'x'
		if !b.Verify(sig, user, uid, arn, akid) {
			t.Error("changing the caller's key slice changed the binder")
		}
	})
	t.Run("another key makes another binding", func(t *testing.T) {
		other, _ := webhook.NewBinder([]byte(strings.Repeat("o", 32)))
		if other.Verify(sig, user, uid, arn, akid) {
			t.Error("a binding verified under another key")
		}
	})
}

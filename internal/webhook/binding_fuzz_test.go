package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/webhook"
)

// FuzzBinderVerify: Verify parses attacker-controlled text (an impersonated
// extra); it must never panic, and nothing but the exact binding verifies.
func FuzzBinderVerify(f *testing.F) {
	b, err := webhook.NewBinder([]byte(strings.Repeat("k", 32)), 5*time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := webhook.Subject{Username: "dev", UID: "kubeiam:1:AIDA", Groups: []string{"devs"}, ARN: "arn:aws:iam::1:user/dev", AccessKeyID: "AKIA"}
	good := b.Sign(s, now)
	for _, seed := range []string{good, "", "v2..", "v2.1.", "v2.-1.x", "v2.99999999999999999999.x", good + "=", strings.ToUpper(good)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, binding string) {
		err := b.Verify(binding, s, now)
		if (err == nil) != (binding == good) {
			t.Errorf("Verify(%q) = %v", binding, err)
		}
	})
}

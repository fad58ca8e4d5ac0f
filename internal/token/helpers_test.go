package token_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// signedAt is when test tokens are signed; now is one minute later.
var (
	signedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	now      = signedAt.Add(time.Minute)
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func lookup(t testing.TB, id string) partition.Partition {
	t.Helper()
	p, ok := partition.New().Lookup(id)
	if !ok {
		t.Fatalf("no partition %q", id)
	}
	return p
}

func validator(t testing.TB, id string) token.Validator {
	return token.Validator{Partition: lookup(t, id), Now: fixedClock(now)}
}

// presign mints a real presigned URL, signed at signedAt unless o says otherwise.
func presign(t testing.TB, o tokentest.Options) string {
	t.Helper()
	if o.SignedAt.IsZero() {
		o.SignedAt = signedAt
	}
	return tokentest.PresignURL(t, o)
}

// replace returns s with old replaced by new once, failing the test when
// old does not occur, so a mutation can never silently test nothing.
func replace(t testing.TB, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("mutation target %q not in %q", old, s)
	}
	return strings.Replace(s, old, new, 1)
}

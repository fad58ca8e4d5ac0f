package diag

import (
	"net/url"
	"testing"
	"time"
)

// FuzzParseQuery feeds arbitrary query strings to the decisions query
// parser: it must never panic, and a limit it accepts is in range.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"decision=denied&since=15m&limit=5", "since=2026-01-01T00:00:00Z&after=3&follow=1", "limit=-1", "since=-5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		_, limit, _, err := parseQuery(v, time.Unix(0, 0))
		if err == nil && (limit < 1 || limit > MaxLimit) {
			t.Fatalf("limit %d accepted", limit)
		}
	})
}

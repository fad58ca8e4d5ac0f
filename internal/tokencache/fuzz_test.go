package tokencache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzRead feeds arbitrary file contents to the cache: it must never
// panic, and must hand out only well-formed, unexpired tokens.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"version":1,"tokens":{"k":{"token":"t","expiration":"2026-03-14T16:00:00Z"}}}`))
	f.Add([]byte(`{"version":1,"tokens":{"k":{"token":"","expiration":"2099-01-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"version":1,"tokens":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := filepath.Join(t.TempDir(), "kubeiam")
		cache, err := Open(dir, func() time.Time { return t0 })
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, FileName), content, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, ok := cache.Get("k"); ok && (got.Value == "" || !t0.Before(got.Expiration.Add(-ReuseMargin))) {
			t.Errorf("Get handed out an unusable token: %+v", got)
		}
	})
}

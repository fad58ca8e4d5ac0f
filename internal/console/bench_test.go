package console

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkPages renders each page with 10,000 access entries (and as
// many decisions). BENCHMARKS.md records the numbers; no test asserts a
// time.
func BenchmarkPages(b *testing.B) {
	c := newTestConsole(b, newMemBackend(10_000))
	for _, path := range []string{"/", "/?preview=API", "/entries", "/aws-auth", "/decisions", "/explain?arn=arn:aws:iam::111122223333:role/r00001&verb=get&resource=pods",
		"/who-can?verb=get&resource=pods&namespace=ns1"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				r := httptest.NewRequest("GET", "http://"+testAddr+path, nil)
				r.AddCookie(&http.Cookie{Name: CookieName, Value: testSecret})
				w := httptest.NewRecorder()
				c.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.Code)
				}
			}
		})
	}
}

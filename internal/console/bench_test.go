package console

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user and system CPU time: on a shared, loaded
// machine it says more about a page's cost than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPages renders each page with 10,000 access entries (and as
// many decisions) and reports, besides the wall clock, the process CPU
// time per page (cpu-ns/op, GC included). BENCHMARKS.md records the
// numbers; no test asserts a time.
func BenchmarkPages(b *testing.B) {
	c := newTestConsole(b, newMemBackend(10_000))
	for _, path := range []string{"/", "/?preview=API", "/entries", "/aws-auth", "/decisions", "/explain?arn=arn:aws:iam::111122223333:role/r00001&verb=get&resource=pods",
		"/who-can?verb=get&resource=pods&namespace=ns1"} {
		b.Run(path, func(b *testing.B) {
			start, n := cpuTime(), 0
			for b.Loop() {
				n++
				r := httptest.NewRequest("GET", "http://"+testAddr+path, nil)
				r.AddCookie(&http.Cookie{Name: CookieName, Value: testSecret})
				w := httptest.NewRecorder()
				c.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.Code)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
		})
	}
}

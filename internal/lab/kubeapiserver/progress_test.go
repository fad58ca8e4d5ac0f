package kubeapiserver

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

func TestProgressOffATerminalPrintsALineEveryInterval(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, false, "building kube-apiserver v1.32.13 (about 5 minutes the first time)")
	p.start()
	for _, s := range []int{1, 2, 29, 30, 31, 59, 61, 95, 150} {
		p.tick(time.Duration(s)*time.Second + 400*time.Millisecond)
	}
	p.done(4*time.Minute+7*time.Second+900*time.Millisecond, nil)
	want := "kubeiam lab: building kube-apiserver v1.32.13 (about 5 minutes the first time)\n" +
		"kubeiam lab: still working, 30s elapsed\n" +
		"kubeiam lab: still working, 1m1s elapsed\n" +
		// 95s crosses 90s only; 150s crosses 120s and 150s: one line each time.
		"kubeiam lab: still working, 1m35s elapsed\n" +
		"kubeiam lab: still working, 2m30s elapsed\n" +
		"kubeiam lab: done in 4m7s\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}

func TestProgressOnATerminalRedrawsOneLine(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, true, "building kube-apiserver")
	p.start()
	for _, ms := range []int{200, 400, 600, 800, 65_000} {
		p.tick(time.Duration(ms) * time.Millisecond)
	}
	p.done(66*time.Second, errors.New("boom"))
	const clear = "\r\x1b[K"
	want := "kubeiam lab: building kube-apiserver\n" +
		clear + "| 0s elapsed" + clear + "/ 0s elapsed" + clear + `- 0s elapsed` + clear + `\ 0s elapsed` +
		clear + "| 1m5s elapsed" +
		clear + "kubeiam lab: failed after 1m6s\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%q\nwant:\n%q", got, want)
	}
	if strings.Count(out.String(), "\n") != 2 {
		t.Errorf("a terminal gets two lines, the announcement and the outcome: %q", out.String())
	}
}

// TestProgressRunStopsItsGoroutine checks the driver: ticks arrive while the
// step runs, none after stop, and stop can be called twice.
func TestProgressRunStopsItsGoroutine(t *testing.T) {
	var out testutil.SyncBuffer
	p := newProgress(&out, true, "step")
	stop := p.run(time.Now)
	time.Sleep(500 * time.Millisecond)
	stop(nil)
	stop(nil)
	got := out.String()
	if !strings.Contains(got, " elapsed") || !strings.HasSuffix(got, "kubeiam lab: done in 0s\n") {
		t.Fatalf("output %q: want spinner frames, then the outcome", got)
	}
	time.Sleep(300 * time.Millisecond)
	if out.String() != got {
		t.Errorf("output after stop: %q", strings.TrimPrefix(out.String(), got))
	}
}

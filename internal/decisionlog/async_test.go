package decisionlog

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func jsonHandler(w io.Writer) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
}

// TestAsyncWritesWhatTheSyncHandlerWrites: the same calls through Async
// and straight through the wrapped handler write the same bytes, in order,
// once Close has returned.
func TestAsyncWritesWhatTheSyncHandlerWrites(t *testing.T) {
	var got, want bytes.Buffer
	a := NewAsync(&got, 0, jsonHandler)
	logAll := func(l *slog.Logger) {
		l = l.With("component", "authn")
		for i := range 100 {
			l.Info(MsgGranted, "arn", "arn:aws:iam::111122223333:user/alice", "groups", []string{"a", "b"}, "i", i)
			l.WithGroup("g").Info(MsgDenied, "error", "token expired", "i", i)
		}
	}
	logAll(slog.New(a))
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	logAll(slog.New(jsonHandler(&want)))
	if got.String() != want.String() {
		t.Fatalf("async wrote\n%s\nwant\n%s", got.String(), want.String())
	}
	// After Close a record is written at once, not lost.
	slog.New(a).Info(MsgDenied, "late", true)
	if !strings.HasSuffix(got.String(), `{"level":"INFO","msg":"access denied","late":true}`+"\n") {
		t.Fatalf("record after Close not written: %q", got.String()[max(0, got.Len()-200):])
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// blockingWriter blocks every Write until released.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// TestAsyncNeverBlocksAndCountsDrops: with the output stuck, logging still
// returns, and every record that did not fit is counted by kind; once the
// output moves, every record that was queued is written.
func TestAsyncNeverBlocksAndCountsDrops(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	const queue = 4
	a := NewAsync(w, queue, jsonHandler)
	l := slog.New(a)
	const n = 50
	for i := range n {
		l.Info(MsgDenied, "i", i)
		l.Info(MsgGranted, "i", i)
		l.Warn("source reloaded", "i", i)
	}
	// The output is stuck from its first flush on, so most records could
	// not be queued. How many the goroutine took into its buffer before it
	// first flushed depends on scheduling; what holds whatever the
	// scheduling is that each kind had drops and (below) that every record
	// is either counted or written.
	dropped := a.Dropped(Denied) + a.Dropped(Granted) + a.Dropped("other")
	if a.Dropped(Denied) == 0 || a.Dropped(Granted) == 0 || a.Dropped("other") == 0 {
		t.Fatalf("dropped denied %d, granted %d, other %d; want each > 0", a.Dropped(Denied), a.Dropped(Granted), a.Dropped("other"))
	}
	close(w.release)
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	lines := strings.Count(w.buf.String(), "\n")
	if uint64(lines)+dropped != 3*n {
		t.Fatalf("%d lines written + %d dropped != %d records", lines, dropped, 3*n)
	}
}

// TestAsyncConcurrentUse runs Handle from many goroutines while closing
// (for the race detector): nothing panics, every record is written or
// counted.
func TestAsyncConcurrentUse(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	a := NewAsync(lockedWriter{&mu, &buf}, 16, jsonHandler)
	l := slog.New(a)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				l.Info(MsgGranted, "g", g, "i", i)
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = a.Close() }()
	wg.Wait()
	_ = a.Close()
	mu.Lock()
	defer mu.Unlock()
	if got := uint64(strings.Count(buf.String(), "\n")) + a.Dropped(Granted); got != 8*200 {
		t.Fatalf("written + dropped = %d, want %d", got, 8*200)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

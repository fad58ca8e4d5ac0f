package decisionlog

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
)

// DefaultAsyncQueue is how many log records an Async handler holds waiting
// to be written: at a few hundred bytes each, a few megabytes at most.
const DefaultAsyncQueue = 8192

// Messages of the authentication decision log lines (STYLE.md principle
// 6): their drops are counted apart from other records'.
const (
	MsgGranted = "access granted"
	MsgDenied  = "access denied"
)

// Async is the log writer of the server: a slog.Handler that hands each
// record to one background goroutine, which formats it with the wrapped
// handler into a buffer and writes the buffer out whenever the queue runs
// dry. A request never waits on the log's output (a slow terminal or a
// full pipe): when the queue is full the record is dropped and counted
// (see Dropped; the server exports the counts as a metric), so a lost
// denial is never silent. Close drains the queue and flushes.
//
// The format is the wrapped handler's, unchanged: only when the bytes are
// written changes.
type Async struct {
	inner slog.Handler
	q     *asyncQueue
}

type asyncEntry struct {
	h slog.Handler
	r slog.Record
}

type asyncQueue struct {
	mu      sync.RWMutex // write-held by Close; read-held by senders
	closed  bool
	ch      chan asyncEntry
	out     *bufio.Writer
	done    chan struct{}
	late    sync.Mutex // serializes writes after Close
	denied  atomic.Uint64
	granted atomic.Uint64
	other   atomic.Uint64
}

// NewAsync returns a handler that writes to w through the handler newInner
// builds on w's buffer (for example slog.NewJSONHandler), holding at most
// queue records (<= 0: DefaultAsyncQueue). Call Close before exiting.
func NewAsync(w io.Writer, queue int, newInner func(io.Writer) slog.Handler) *Async {
	if queue <= 0 {
		queue = DefaultAsyncQueue
	}
	q := &asyncQueue{ch: make(chan asyncEntry, queue), out: bufio.NewWriterSize(w, 64<<10), done: make(chan struct{})}
	a := &Async{inner: newInner(q.out), q: q}
	go q.run()
	return a
}

func (q *asyncQueue) run() {
	defer close(q.done)
	for e := range q.ch {
		_ = e.h.Handle(context.Background(), e.r)
		if len(q.ch) == 0 {
			_ = q.out.Flush()
		}
	}
	_ = q.out.Flush()
}

// Enabled is the wrapped handler's.
func (a *Async) Enabled(ctx context.Context, l slog.Level) bool { return a.inner.Enabled(ctx, l) }

// Handle queues r, or drops and counts it when the queue is full. After
// Close it writes r at once.
func (a *Async) Handle(ctx context.Context, r slog.Record) error {
	q := a.q
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		<-q.done // the goroutine has written out the queue
		q.late.Lock()
		defer q.late.Unlock()
		err := a.inner.Handle(ctx, r)
		if ferr := q.out.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	select {
	case q.ch <- asyncEntry{h: a.inner, r: r.Clone()}:
	default:
		switch r.Message {
		case MsgDenied:
			q.denied.Add(1)
		case MsgGranted:
			q.granted.Add(1)
		default:
			q.other.Add(1)
		}
	}
	q.mu.RUnlock()
	return nil
}

// WithAttrs returns a handler sharing this one's queue.
func (a *Async) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Async{inner: a.inner.WithAttrs(attrs), q: a.q}
}

// WithGroup returns a handler sharing this one's queue.
func (a *Async) WithGroup(name string) slog.Handler {
	return &Async{inner: a.inner.WithGroup(name), q: a.q}
}

// Dropped returns how many records were dropped because the queue was
// full, by kind: "denied" and "granted" (the decision lines) or "other".
func (a *Async) Dropped(kind string) uint64 {
	switch kind {
	case Denied:
		return a.q.denied.Load()
	case Granted:
		return a.q.granted.Load()
	}
	return a.q.other.Load()
}

// Close writes every queued record and flushes; records handled after it
// are written synchronously. It is safe to call more than once.
func (a *Async) Close() error {
	q := a.q
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	<-q.done
	q.late.Lock()
	defer q.late.Unlock()
	return q.out.Flush()
}

package decisionlog

import "sync"

// Log is a bounded, concurrency-safe ring of the latest decisions.
type Log struct {
	mu      sync.Mutex
	buf     []Record
	next    int // where the next record goes
	full    bool
	seq     uint64
	waiters []chan struct{}
}

// New returns a log that keeps the last size records (at least 1).
func New(size int) *Log {
	if size < 1 {
		size = 1
	}
	return &Log{buf: make([]Record, size)}
}

// Add appends r, assigning its sequence number, and wakes followers.
func (l *Log) Add(r Record) Record {
	l.mu.Lock()
	l.seq++
	r.Seq = l.seq
	l.buf[l.next] = r
	l.next = (l.next + 1) % len(l.buf)
	if l.next == 0 {
		l.full = true
	}
	waiters := l.waiters
	l.waiters = nil
	l.mu.Unlock()
	for _, w := range waiters {
		close(w)
	}
	return r
}

// Query returns up to limit matching records, oldest first; limit <= 0
// means all. With a limit, the newest matches are kept.
func (l *Log) Query(f Filter, limit int) []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	l.each(func(r Record) {
		if f.Match(r) {
			out = append(out, r)
		}
	})
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// Changed returns a channel closed at the next Add, for followers.
func (l *Log) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	return ch
}

// Len returns how many records the log holds.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full {
		return len(l.buf)
	}
	return l.next
}

// each calls fn on every record, oldest first. l.mu must be held.
func (l *Log) each(fn func(Record)) {
	if l.full {
		for _, r := range l.buf[l.next:] {
			fn(r)
		}
	}
	for _, r := range l.buf[:l.next] {
		fn(r)
	}
}

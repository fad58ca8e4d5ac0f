package awsauthsource

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fixtures: the data of an aws-auth ConfigMap in its successive versions.
const (
	rolesAdmin = "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n  - system:masters\n"
	usersAlice = "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups:\n  - dev\n"
	// badYAML does not parse at all.
	badYAML = "- rolearn: [unclosed\n"
	// badARN parses but has an error-severity problem.
	badARN = "- rolearn: not-an-arn\n  username: x\n"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// recorder is a Sink that keeps what it receives.
type recorder struct {
	mu      sync.Mutex
	updates []Update
}

func (r *recorder) sink(u Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
}

func (r *recorder) all() []Update {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.updates)
}

func (r *recorder) last(t *testing.T) Update {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("sink never called")
	}
	return all[len(all)-1]
}

// logRecord is one captured log line, attributes flattened.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// logCapture is a slog.Handler that keeps records for assertions.
type logCapture struct {
	mu      *sync.Mutex
	records *[]logRecord
	attrs   []slog.Attr
}

func newLogCapture() *logCapture {
	return &logCapture{mu: &sync.Mutex{}, records: &[]logRecord{}}
}

func (h *logCapture) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *logCapture) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logCapture{mu: h.mu, records: h.records, attrs: append(slices.Clone(h.attrs), attrs...)}
}

func (h *logCapture) WithGroup(string) slog.Handler { return h }

// find returns the records with message msg.
func (h *logCapture) find(msg string) []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logRecord
	for _, r := range *h.records {
		if r.msg == msg {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls cond until it holds or a generous deadline passes; it
// asserts an eventual condition, not a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// statusCheck compares the fields of a Status that a test cares about.
type statusCheck struct {
	healthy, deleted bool
	reloads, errors  uint64
	lastVersion      string
	errorContains    string // "" means LastError must be empty
}

func checkStatus(t *testing.T, got Status, want statusCheck) {
	t.Helper()
	if got.Healthy != want.healthy || got.Deleted != want.deleted ||
		got.Reloads != want.reloads || got.Errors != want.errors || got.LastVersion != want.lastVersion {
		t.Errorf("status = %+v, want healthy=%v deleted=%v reloads=%d errors=%d lastVersion=%q",
			got, want.healthy, want.deleted, want.reloads, want.errors, want.lastVersion)
	}
	if want.errorContains == "" && got.LastError != "" {
		t.Errorf("LastError = %q, want empty", got.LastError)
	}
	if want.errorContains != "" && !strings.Contains(got.LastError, want.errorContains) {
		t.Errorf("LastError = %q, want it to contain %q", got.LastError, want.errorContains)
	}
	if got.Reloads > 0 && !got.LastGood.Equal(testNow) {
		t.Errorf("LastGood = %v, want %v", got.LastGood, testNow)
	}
}

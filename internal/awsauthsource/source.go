// Package awsauthsource watches where the aws-auth mapping comes from (the
// kube-system/aws-auth ConfigMap, or a file) and hands each accepted version
// to a Sink.
//
// The contract every source keeps, because a broken mapping must never lock
// users out or half-apply:
//   - a version that does not parse, or whose awsauth.Problems has errors,
//     never reaches the Sink; the last good version stays in force, and the
//     rejection is logged ("aws-auth rejected"), counted (Status.Errors) and
//     shown (Status.Healthy false, Status.LastError) until a good version
//     arrives;
//   - a good version, warnings included, is delivered and makes the source
//     healthy again;
//   - deleting the ConfigMap (or the file) delivers an empty mapping
//     (Update.Doc nil), since that is what the user asked for, logged at WARN
//     ("aws-auth deleted; mapping is now empty").
//
// The Sink is called from one goroutine at a time, in the order the source
// observed the versions.
package awsauthsource

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// Update is a version of the mapping that the consumer must now use.
type Update struct {
	// Doc is the accepted document; nil means the mapping is empty because
	// its source (ConfigMap or file) is absent.
	Doc *awsauth.Document
	// Problems holds the warnings of Doc; it never holds errors.
	Problems awsauth.Problems
	// Version identifies what was read: the ConfigMap's resourceVersion or
	// the file's content hash; empty for a deleted source without one.
	Version string
}

// Sink receives accepted versions. It is called from one goroutine at a time
// and should return quickly (swap an index, not rebuild the world); it may
// call the source's Status and HasSynced.
type Sink func(Update)

// Status is a snapshot of a source, for health checks and debug endpoints.
type Status struct {
	// Source names the source: "configmap kube-system/aws-auth" or
	// "file /etc/kubeiam/aws-auth.yaml".
	Source string
	// Healthy is true when the mapping in force is the latest version the
	// source saw; false before the first version and while the latest one is
	// rejected or unreadable.
	Healthy bool
	// LastGood is when the mapping in force was delivered; zero if none was.
	LastGood time.Time
	// LastVersion is the Version of the mapping in force.
	LastVersion string
	// LastError says why the latest version was refused; empty when healthy.
	LastError string
	// Reloads counts delivered versions, deletions and the initial one
	// included; Errors counts versions rejected or unreadable.
	Reloads, Errors uint64
	// Deleted is true when the mapping in force is empty because the source
	// is absent.
	Deleted bool
	// Rejected is the newest version, refused while the last good one
	// stays in force, so that a diagnosis can point at the line that broke
	// it; nil when healthy or when the source was unreadable.
	Rejected *Rejected
}

// Rejected is a version of aws-auth that was kept out. It is never
// modified once in a Status.
type Rejected struct {
	// Version is the rejected version (resourceVersion or content hash).
	Version string
	// Error says why it was refused.
	Error string
	// Data is the rejected ConfigMap data; nil when it did not decode.
	Data map[string]string
	// Text is the rejected file's content, for file line numbers; empty
	// for a ConfigMap.
	Text string
}

// Errors for Status.LastError and logs. Compare with errors.Is.
var (
	// ErrInvalid: the document parsed but has error-severity problems.
	ErrInvalid = errors.New("aws-auth has errors")
	// ErrAlreadyRunning: Run was called twice on one source.
	ErrAlreadyRunning = errors.New("source is already running")
	// ErrNoSink: a source was built without a Sink.
	ErrNoSink = errors.New("no sink")
)

// maxProblemsInError bounds LastError for a document with many bad entries;
// the log of the rejection has the count.
const maxProblemsInError = 5

// tracker is the state machine shared by all sources: it decides what
// reaches the sink and keeps the Status.
type tracker struct {
	sink Sink
	log  *slog.Logger
	now  func() time.Time

	// process serializes decisions and sink calls so that the sink sees
	// versions in order; mu only guards st, so a sink may call Status.
	process sync.Mutex
	seen    bool // a version or an absence was processed; under process

	mu sync.Mutex
	st Status

	synced atomic.Bool
}

func newTracker(source string, sink Sink, log *slog.Logger, now func() time.Time) *tracker {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &tracker{sink: sink, log: log.With("source", source), now: now, st: Status{Source: source}}
}

// offer parses data and delivers it, or keeps it out if it is malformed.
// text returns the file content the data came from, for a rejection; nil
// for a ConfigMap. A function, so that a large file's content is not held
// while its data is parsed.
func (t *tracker) offer(version string, data map[string]string, text func() string) {
	t.process.Lock()
	defer t.process.Unlock()
	t.seen = true
	doc, problems, err := awsauth.Parse(data)
	if err == nil && problems.HasErrors() {
		err = problemsError(problems.Errors())
	}
	if err != nil {
		rej := &Rejected{Version: version, Data: data}
		if text != nil {
			rej.Text = text()
		}
		t.refuse("aws-auth rejected", version, err, rej)
		return
	}
	warnings := problems.Warnings()
	for _, p := range warnings {
		t.log.Warn("aws-auth warning", "version", version, "problem", p.String())
	}
	t.log.Info("aws-auth loaded", "version", version, "roles", len(doc.Roles),
		"users", len(doc.Users), "accounts", len(doc.Accounts), "warnings", len(warnings))
	t.deliver(Update{Doc: doc, Problems: warnings, Version: version}, false)
}

// reject keeps out a version that could not even be decoded into data;
// text is its content.
func (t *tracker) reject(version string, err error, text string) {
	t.process.Lock()
	defer t.process.Unlock()
	t.seen = true
	t.refuse("aws-auth rejected", version, err, &Rejected{Version: version, Text: text})
}

// unreadable records that the source could not be read; the mapping in
// force is kept.
func (t *tracker) unreadable(err error) {
	t.process.Lock()
	defer t.process.Unlock()
	t.seen = true
	t.refuse("aws-auth unreadable", "", err, nil)
}

// deleted delivers the empty mapping of a source that went away.
func (t *tracker) deleted(version string) {
	t.process.Lock()
	defer t.process.Unlock()
	t.seen = true
	t.log.Warn("aws-auth deleted; mapping is now empty", "version", version)
	t.deliver(Update{Version: version}, true)
}

// absentIfUnseen delivers the empty mapping when the initial state had no
// source and nothing has been processed since, so the consumer starts from a
// definite state.
func (t *tracker) absentIfUnseen() {
	t.process.Lock()
	defer t.process.Unlock()
	if t.seen {
		return
	}
	t.seen = true
	t.log.Info("aws-auth not found; mapping is empty")
	t.deliver(Update{}, true)
}

// refuse logs and records a version kept out, and what it said when rej
// is not nil. t.process must be held.
func (t *tracker) refuse(msg, version string, err error, rej *Rejected) {
	t.log.Error(msg, "version", version, "error", err)
	text := err.Error()
	if version != "" {
		text = "version " + version + ": " + text
	}
	t.mu.Lock()
	t.st.Healthy = false
	t.st.LastError = text
	t.st.Errors++
	if rej != nil {
		rej.Error = err.Error()
	}
	t.st.Rejected = rej
	t.mu.Unlock()
}

// deliver hands u to the sink, then records it; deleted says u is the empty
// mapping of an absent source. t.process must be held.
func (t *tracker) deliver(u Update, deleted bool) {
	t.sink(u)
	t.mu.Lock()
	t.st.Healthy = true
	t.st.LastError = ""
	t.st.LastGood = t.now()
	t.st.LastVersion = u.Version
	t.st.Reloads++
	t.st.Deleted = deleted
	t.st.Rejected = nil
	t.mu.Unlock()
}

// noteError records a failure to reach the source before the first sync, so
// that an unreachable or forbidden API shows in Status; afterwards the
// mapping in force stays valid and Status is left alone.
func (t *tracker) noteError(err error) {
	if t.synced.Load() {
		return
	}
	t.mu.Lock()
	t.st.LastError = err.Error()
	t.mu.Unlock()
}

func (t *tracker) status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// problemsError summarizes error-severity problems for logs and Status.
func problemsError(errs awsauth.Problems) error {
	parts := make([]string, 0, maxProblemsInError)
	for i, p := range errs {
		if i == maxProblemsInError {
			parts = append(parts, fmt.Sprintf("and %d more", len(errs)-i))
			break
		}
		parts = append(parts, p.String())
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(parts, "; "))
}

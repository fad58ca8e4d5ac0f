package diag

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// DefaultLimit and MaxLimit bound how many decisions one answer holds.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Decisions is the answer of GET /kubeiam/v1/decisions without follow.
type Decisions struct {
	Decisions []decisionlog.Record `json:"decisions"`
	// LastSeq is the newest sequence number seen; pass it as after= to get
	// only what comes next.
	LastSeq uint64 `json:"lastSeq"`
}

// Query is a decisions query, as URL parameters.
type Query struct {
	Username, ARN, Decision, Code, Reason string
	// Since is a duration back from now ("15m") or an RFC 3339 time.
	Since  string
	Limit  int
	After  uint64
	Follow bool
}

// Values encodes q as URL parameters.
func (q Query) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("username", q.Username)
	set("arn", q.ARN)
	set("decision", q.Decision)
	set("code", q.Code)
	set("reason", q.Reason)
	set("since", q.Since)
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.After > 0 {
		v.Set("after", strconv.FormatUint(q.After, 10))
	}
	if q.Follow {
		v.Set("follow", "1")
	}
	return v
}

// parseQuery turns URL parameters into a filter, a limit and follow.
func parseQuery(v url.Values, now time.Time) (decisionlog.Filter, int, bool, error) {
	f := decisionlog.Filter{Username: v.Get("username"), ARN: v.Get("arn"), Code: v.Get("code"), Reason: v.Get("reason")}
	switch d := v.Get("decision"); d {
	case "", decisionlog.Granted, decisionlog.Denied:
		f.Decision = d
	default:
		return f, 0, false, fmt.Errorf("decision %q: want granted or denied", d)
	}
	if s := v.Get("since"); s != "" {
		t, err := ParseSince(s, now)
		if err != nil {
			return f, 0, false, err
		}
		f.Since = t
	}
	limit := DefaultLimit
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return f, 0, false, fmt.Errorf("limit %q: want 1 to %d", s, MaxLimit)
		}
		limit = n
	}
	if s := v.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return f, 0, false, fmt.Errorf("after %q: want a sequence number", s)
		}
		f.AfterSeq = n
	}
	follow := false
	if s := v.Get("follow"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return f, 0, false, fmt.Errorf("follow %q: want 1 or 0", s)
		}
		follow = b
	}
	return f, limit, follow, nil
}

// ParseSince reads a duration back from now ("15m", "2h") or an RFC 3339
// time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("since %q: a duration must not be negative", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("since %q: want a duration like 15m or an RFC 3339 time", s)
	}
	return t, nil
}

func (h *handler) decisions(w http.ResponseWriter, r *http.Request, _ identity.Identity) {
	f, limit, follow, err := parseQuery(r.URL.Query(), h.cfg.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if follow {
		h.follow(w, r, f, limit)
		return
	}
	recs := h.cfg.Decisions.Query(f, limit)
	out := Decisions{Decisions: recs, LastSeq: f.AfterSeq}
	if out.Decisions == nil {
		out.Decisions = []decisionlog.Record{}
	}
	if n := len(recs); n > 0 {
		out.LastSeq = recs[n-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
}

// follow streams matching decisions as NDJSON, the latest limit first,
// then each new one as it is logged, until the client goes away.
func (h *handler) follow(w http.ResponseWriter, r *http.Request, f decisionlog.Filter, limit int) {
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout by design.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		writeError(w, http.StatusInternalServerError, "cannot stream")
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	ctx := r.Context()
	for {
		// Ask for the change signal before querying, so that a record
		// added in between wakes the next wait instead of being missed.
		changed := h.cfg.Decisions.Changed()
		for _, rec := range h.cfg.Decisions.Query(f, limit) {
			if err := enc.Encode(rec); err != nil {
				return
			}
			f.AfterSeq = rec.Seq
		}
		if err := rc.Flush(); err != nil {
			return
		}
		limit = 0
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

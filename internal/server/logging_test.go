package server

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// TestAsyncLoggerDropsAreExported: a server logging through
// NewAsyncLogger exports its drop counts, and its log lines are written.
func TestAsyncLoggerDropsAreExported(t *testing.T) {
	var buf testutil.SyncBuffer
	logger, async, err := NewAsyncLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = async.Close() }) // after the server stops
	s := startServerWith(t, config.Server{}, logger)
	resp, err := httpsClient(t, s).Get(s.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"denied", "granted", "other"} {
		if want := `kubeiam_log_records_dropped_total{record="` + kind + `"} 0`; !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := async.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"msg":"kubeiam server started"`) {
		t.Errorf("log lacks the start line:\n%s", buf.String())
	}
}

func TestNewLoggerRefusesBadFlags(t *testing.T) {
	if _, _, err := NewAsyncLogger(io.Discard, "xml", "info"); err == nil || !strings.Contains(err.Error(), "want text or json") {
		t.Errorf("format xml: %v", err)
	}
	if _, _, err := NewAsyncLogger(io.Discard, "json", "loud"); err == nil || !strings.Contains(err.Error(), `log level "loud"`) {
		t.Errorf("level loud: %v", err)
	}
}

// In the text log each of a decision's notes is a value of its own
// (notes.1="..." notes.2="..."), not one bracketed list in which a note
// runs into the next; the JSON log keeps the array.
func TestTextLogSeparatesDecisionNotes(t *testing.T) {
	notes := []string{"access entries not consulted: authentication mode is CONFIG_MAP", "no aws-auth mapping for arn:aws:iam::111122223333:user/developer"}
	for _, tt := range []struct {
		format string
		want   string
	}{
		{"text", `code=NOT_MAPPED notes.1="access entries not consulted: authentication mode is CONFIG_MAP" notes.2="no aws-auth mapping for arn:aws:iam::111122223333:user/developer"` + "\n"},
		{"json", `"code":"NOT_MAPPED","notes":["access entries not consulted: authentication mode is CONFIG_MAP","no aws-auth mapping for arn:aws:iam::111122223333:user/developer"]}` + "\n"},
	} {
		var sync, async testutil.SyncBuffer
		l, err := NewLogger(&sync, tt.format, "info")
		if err != nil {
			t.Fatal(err)
		}
		al, a, err := NewAsyncLogger(&async, tt.format, "info")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []*slog.Logger{l, al} {
			l.Info("access denied", "code", "NOT_MAPPED", "notes", notes)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]string{"NewLogger": sync.String(), "NewAsyncLogger": async.String()} {
			if !strings.HasSuffix(got, tt.want) {
				t.Errorf("%s %s: %s\nwant it to end with %s", name, tt.format, got, tt.want)
			}
		}
	}
	// Other attributes that are lists keep the handler's own format.
	var buf testutil.SyncBuffer
	l, _ := NewLogger(&buf, "text", "info")
	l.Info("access granted", "groups", []string{"a", "b"})
	if !strings.HasSuffix(buf.String(), `groups="[a b]"`+"\n") {
		t.Errorf("groups: %s", buf.String())
	}
}

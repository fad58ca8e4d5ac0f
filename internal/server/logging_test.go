package server

import (
	"io"
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

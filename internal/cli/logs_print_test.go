package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
)

// Decision notes are listed one per line under their decision.
func TestLogsTableSeparatesNotes(t *testing.T) {
	var b bytes.Buffer
	p := newLogPrinter(&b, "table")
	r := decisionlog.Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Decision: decisionlog.Denied,
		ARN: "arn:aws:iam::111122223333:user/developer", Code: "ARN_NOT_MAPPED", Error: "ARN is not mapped",
		Notes: []string{"aws-auth consulted: no entry", "access entries ignored: authentication mode is CONFIG_MAP"}}
	if err := p.print(r); err != nil {
		t.Fatal(err)
	}
	if err := p.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[2], "  note: aws-auth consulted: no entry") ||
		!strings.HasSuffix(lines[3], "  note: access entries ignored: authentication mode is CONFIG_MAP") {
		t.Errorf("table:\n%s", b.String())
	}
}

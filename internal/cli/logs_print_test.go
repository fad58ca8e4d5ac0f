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

// The rows stay aligned in their columns across decisions with notes: the
// notes under one row do not start another table for the rows after it.
func TestLogsTableAlignsRowsAcrossNotes(t *testing.T) {
	var b bytes.Buffer
	p := newLogPrinter(&b, "table")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, r := range []decisionlog.Record{
		{Time: at, Decision: decisionlog.Denied, ARN: "arn:aws:iam::111122223333:user/developer", Code: "ARN_NOT_MAPPED",
			Error: "ARN is not mapped", Notes: []string{"no aws-auth mapping for arn:aws:iam::111122223333:user/developer"}},
		{Time: at, Decision: decisionlog.Denied, ARN: "arn:aws:iam::111122223333:user/developer", Code: "ARN_NOT_MAPPED",
			Error: "ARN is not mapped", Notes: []string{"a note\nwith a line break"}},
		{Time: at, Decision: decisionlog.Granted, ARN: "arn:aws:iam::111122223333:user/creator", Username: "kubernetes-admin",
			Source: "creator", Code: "MAPPED"},
	} {
		if err := p.print(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("want a header, 3 rows and 2 notes, got:\n%s", b.String())
	}
	header, rows := lines[0], []string{lines[1], lines[3], lines[5]}
	for _, col := range []string{"DECISION", "ARN", "USERNAME", "SOURCE", "CODE", "REASON"} {
		at := strings.Index(header, col)
		for _, row := range rows {
			if at <= 0 || len(row) <= at || row[at-1] != ' ' || row[at] == ' ' {
				t.Errorf("column %s (offset %d) is not aligned in row %q; table:\n%s", col, at, row, b.String())
			}
		}
	}
	if strings.TrimLeft(lines[2], " ") != "note: no aws-auth mapping for arn:aws:iam::111122223333:user/developer" ||
		strings.TrimLeft(lines[4], " ") != "note: a note with a line break" {
		t.Errorf("notes not under their rows, one line each:\n%s", b.String())
	}
}

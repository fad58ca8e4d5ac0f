package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// Color adds ANSI colors; the CLI turns it on for terminals only.
	Color bool
}

// ANSI colors, used only when asked.
const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func (t *textWriter) paint(color, s string) string {
	if !t.color {
		return s
	}
	return color + s + ansiReset
}

// WriteText renders the report for people.
func WriteText(w io.Writer, r Report, o TextOptions) error {
	t := &textWriter{w: w, color: o.Color}
	verdict := strings.ToUpper(string(r.Verdict))
	switch {
	case r.Verdict.OK():
		verdict = t.paint(ansiGreen, verdict)
	default:
		verdict = t.paint(ansiRed, verdict)
	}
	t.printf("%s %s (%s)\n", t.paint(ansiBold, "verdict:"), verdict, r.Code)
	t.printf("reason:  %s\n\n", r.Reason)
	t.printf("identity\n  ARN:            %s", r.ARN)
	if !r.Verified {
		t.printf(" (not verified by STS)")
	}
	t.printf("\n")
	if r.CanonicalARN != "" {
		t.printf("  matched as:     %s\n", r.CanonicalARN)
	}
	for _, c := range r.ARNChanges {
		t.printf("                  - %s\n", c)
	}
	if r.Code == CodeInvalidARN {
		return t.err
	}
	t.printf("\nauthentication mode %s\n", r.Mode)
	for _, n := range r.ModeNotes {
		t.printf("  - %s\n", n)
	}
	t.printf("\nsources\n")
	for _, s := range r.Sources {
		mark := "no match"
		switch {
		case s.Matched && s.Consulted:
			mark = t.paint(ansiGreen, "MATCH")
		case s.Matched:
			mark = t.paint(ansiYellow, "ignored")
		case !s.Consulted:
			mark = "skipped"
		}
		t.printf("  %-12s %-8s %s\n", s.Source, mark, s.Detail)
	}
	if r.Mapped {
		t.printf("\nresult\n  username:       %s\n  groups:         %s\n  mapped by:      %s\n",
			r.Username, orNone(strings.Join(r.Groups, ", ")), r.MappedBy)
		for _, p := range r.Policies {
			t.printf("  access policy:  %s (%s)\n", p.ARN, p.Scope)
		}
	}
	if q := r.Request; q != nil {
		t.printf("\nrequest %s\n", q.Description)
		switch {
		case q.AllowedBy == "accessPolicy":
			t.printf("  allowed by access policy %s (%s)\n", q.Policy, q.Scope)
		case q.AllowedBy == "rbac":
			t.printf("  allowed by %s\n", q.Binding)
		case q.RBACNeeds != "":
			t.printf("  %s\n  RBAC needs:     %s\n", q.Reason, q.RBACNeeds)
		default:
			t.printf("  %s\n", q.Reason)
		}
		if r.RBACSource != "" {
			t.printf("  RBAC from:      %s\n", r.RBACSource)
		}
	}
	if len(r.Findings) > 0 {
		t.printf("\nfindings\n")
		for _, f := range r.Findings {
			sev := string(f.Severity)
			if f.Severity != SeverityInfo {
				sev = t.paint(ansiYellow, sev)
			}
			t.printf("  %s %s: %s\n", sev, f.Code, f.Message)
		}
	}
	writeFixes(t, r.Fixes)
	return t.err
}

func writeFixes(t *textWriter, fixes []Fix) {
	if len(fixes) == 0 {
		return
	}
	t.printf("\nfixes\n")
	for i, f := range fixes {
		t.printf("  %d. %s (%s)\n", i+1, f.Summary, f.Fixes)
		for _, c := range [][2]string{{"kubeiam", f.Kubeiam}, {"eksctl", f.Eksctl}, {"aws", f.AWS}, {"kubectl", f.Kubectl}} {
			if c[1] != "" {
				t.printf("     %-8s %s\n", c[0]+":", c[1])
			}
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// WriteJSON renders the report as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

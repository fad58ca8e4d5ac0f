package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/token"
)

type logsFlags struct {
	q      diag.Query
	cred   credFlags
	srv    diagServerFlags
	output string
}

// newLogsCommand builds "kubeiam logs".
func newLogsCommand(s IO) *cobra.Command { return newLogsCommandWithDeps(defaultDiagDeps(s)) }

func newLogsCommandWithDeps(d diagDeps) *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:   "logs [--decision denied] [--since 15m] [--follow]",
		Short: "Show the server's recent authentication decisions",
		Long: `Logs prints the kubeiam server's recent authentication decisions, newest last:
who was granted or denied, as which username, through which mapping, and why.
--follow keeps printing new decisions until interrupted. It is for cluster
managers: the request is authenticated with a token for the access-management
API generated from your AWS credentials (--cluster-name, --profile), or --token
(one from "kubeiam token --audience api"; a kubectl token is refused).

--arn matches a case-insensitive substring of the caller's ARN or canonical ARN,
where * matches anything: --arn 'assumed-role/*/alice'.`,
		Example: `  kubeiam logs --decision denied --since 15m
  kubeiam logs --arn developer --follow
  kubeiam logs --code ARN_NOT_MAPPED -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogs(cmd.Context(), d, f) },
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	fl := cmd.Flags()
	fl.StringVar(&f.q.Username, "username", "", "only this Kubernetes username")
	fl.StringVar(&f.q.ARN, "arn", "", "only ARNs containing this (* matches anything)")
	fl.StringVar(&f.q.Decision, "decision", "", "only granted or denied")
	fl.StringVar(&f.q.Reason, "reason", "", "only reasons containing this")
	fl.StringVar(&f.q.Code, "code", "", "only this reason code (ARN_NOT_MAPPED, TOKEN_EXPIRED, ...)")
	fl.StringVar(&f.q.Since, "since", "", "only decisions newer than this duration (15m) or RFC 3339 time")
	fl.IntVar(&f.q.Limit, "limit", diag.DefaultLimit, "at most this many decisions (the newest)")
	fl.BoolVarP(&f.q.Follow, "follow", "f", false, "keep printing new decisions")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table or json (one decision per line)")
	f.cred.add(cmd, d.io, `authenticate with this API token ("kubeiam token --audience api") instead of generating one`)
	f.srv.add(cmd, d.io)
	return cmd
}

func runLogs(ctx context.Context, d diagDeps, f logsFlags) error {
	if f.output != "table" && f.output != "json" {
		return withExitCode(2, fmt.Errorf("--output %q: want table or json", f.output))
	}
	if f.q.Decision != "" && f.q.Decision != decisionlog.Granted && f.q.Decision != decisionlog.Denied {
		return withExitCode(2, fmt.Errorf("--decision %q: want granted or denied", f.q.Decision))
	}
	if f.q.Since != "" {
		if _, err := diag.ParseSince(f.q.Since, d.io.Now()); err != nil {
			return withExitCode(2, err)
		}
	}
	if err := f.srv.check(); err != nil {
		return err
	}
	tok, err := d.callerToken(ctx, f.cred, token.AudienceAPI)
	if err != nil {
		return err
	}
	c, err := d.client(f.srv, tok)
	if err != nil {
		return err
	}
	p := newLogPrinter(d.io.Out, f.output)
	if !f.q.Follow {
		got, err := c.Decisions(ctx, f.q)
		if err != nil {
			return fmt.Errorf("logs: %w", err)
		}
		for _, r := range got.Decisions {
			if err := p.print(r); err != nil {
				return err
			}
		}
		return p.flush()
	}
	err = c.Follow(ctx, f.q, func(r decisionlog.Record) error {
		if err := p.print(r); err != nil {
			return err
		}
		return p.flush()
	})
	if errors.Is(err, context.Canceled) {
		return nil // interrupted: the normal end of --follow
	}
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	return nil
}

// logPrinter writes decisions as a table or as JSON lines. The table's rows
// go through a tabwriter into rows; each row's notes wait in notes, to be
// written under it at flush, outside the tabwriter: a note line in it would
// end the columns' blocks, and the rows after it would align apart.
type logPrinter struct {
	w      io.Writer
	json   bool
	rows   bytes.Buffer
	tw     *tabwriter.Writer
	notes  [][]string // per line written to tw, header included
	header bool
}

func newLogPrinter(w io.Writer, format string) *logPrinter {
	p := &logPrinter{w: w, json: format == "json"}
	p.tw = tabwriter.NewWriter(&p.rows, 0, 0, 2, ' ', 0)
	return p
}

func (p *logPrinter) print(r decisionlog.Record) error {
	if p.json {
		return writeJSONLine(p.w, r)
	}
	if !p.header {
		fmt.Fprintln(p.tw, "TIME\tDECISION\tARN\tUSERNAME\tSOURCE\tCODE\tREASON")
		p.notes = append(p.notes, nil)
		p.header = true
	}
	reason := r.Error
	if r.Decision == decisionlog.Granted {
		reason = strings.Join(r.Policies, ",")
	}
	if _, err := fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339), r.Decision,
		dash(r.ARN), dash(r.Username), dash(r.Source), dash(r.Code), dash(oneLine(reason))); err != nil {
		return err
	}
	notes := make([]string, len(r.Notes))
	for i, n := range r.Notes {
		notes[i] = oneLine(n)
	}
	p.notes = append(p.notes, notes)
	return nil
}

// flush writes the rows printed since the last flush, each followed by its
// notes, one per line: a note is a sentence, often with commas, never run
// together with the next.
func (p *logPrinter) flush() error {
	if p.json {
		return nil
	}
	if err := p.tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(p.rows.String(), "\n")
	p.rows.Reset()
	var b strings.Builder
	for i, line := range lines {
		b.WriteString(line)
		if i < len(p.notes) {
			for _, n := range p.notes[i] {
				b.WriteString(noteIndent + "note: " + n + "\n")
			}
		}
	}
	p.notes = p.notes[:0]
	_, err := io.WriteString(p.w, b.String())
	return err
}

// noteIndent puts a note under its row's DECISION column, two spaces in:
// past the TIME column, an RFC 3339 time in UTC (20 characters) and the
// table's padding of 2.
var noteIndent = strings.Repeat(" ", 20+2+2)

// oneLine keeps a cell on its row: a line break in a reason or note (the
// server's text, not kubeiam's) would start a row the table cannot align.
func oneLine(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\r", " "), "\n", " ") }

func writeJSONLine(w io.Writer, v any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

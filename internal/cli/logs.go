package cli

import (
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

// logPrinter writes decisions as a table or as JSON lines.
type logPrinter struct {
	w      io.Writer
	json   bool
	tw     *tabwriter.Writer
	header bool
}

func newLogPrinter(w io.Writer, format string) *logPrinter {
	return &logPrinter{w: w, json: format == "json", tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (p *logPrinter) print(r decisionlog.Record) error {
	if p.json {
		return writeJSONLine(p.w, r)
	}
	if !p.header {
		fmt.Fprintln(p.tw, "TIME\tDECISION\tARN\tUSERNAME\tSOURCE\tCODE\tREASON")
		p.header = true
	}
	reason := r.Error
	if r.Decision == decisionlog.Granted {
		reason = strings.Join(r.Policies, ",")
	}
	if _, err := fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339), r.Decision,
		dash(r.ARN), dash(r.Username), dash(r.Source), dash(r.Code), dash(reason)); err != nil {
		return err
	}
	// Each note on a line of its own under its decision, never run
	// together with the next: a note is a sentence, often with commas.
	for _, n := range r.Notes {
		if _, err := fmt.Fprintf(p.tw, "\t  note: %s\n", n); err != nil {
			return err
		}
	}
	return nil
}

func (p *logPrinter) flush() error {
	if p.json {
		return nil
	}
	return p.tw.Flush()
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

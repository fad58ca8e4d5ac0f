// Command authbench measures kubeiam's TokenReview webhook over real HTTPS
// on loopback, against a trivial handler measured in the same run:
//
//	go run ./bench/authbench            (or: make bench-server)
//
// Phases: (c) baseline — a Go handler answering a fixed TokenReview;
// (a) warm tokens — verified identities served from the cache; (b) cold
// tokens — every request a new token, verified by the local STS; (d) warm
// tokens with 10, 1,000 and 100,000 aws-auth mappings, and the heap the
// server holds for them. Results are ratios against the baseline, because
// absolute numbers on a shared 2-core machine mean little.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.concurrency, "c", 4, "concurrent clients")
	flag.IntVar(&o.warmRequests, "warm", 20000, "requests per warm phase")
	flag.IntVar(&o.coldRequests, "cold", 2000, "requests in the cold phase (each a new token)")
	flag.StringVar(&o.mappings, "mappings", "10,1000,100000", "aws-auth mapping counts for the lookup phases")
	flag.StringVar(&o.markdown, "markdown", "", "also write the results as a Markdown table to this file")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "authbench:", err)
		os.Exit(1)
	}
}

type options struct {
	concurrency, warmRequests, coldRequests int
	mappings, markdown                      string
}

func run(ctx context.Context, o options, out io.Writer) error {
	counts, err := parseCounts(o.mappings)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil)) // real decision logging, discarded
	fix, err := newFixture(logger)
	if err != nil {
		return err
	}
	defer fix.Close()
	fmt.Fprintf(out, "authbench: %d clients, GOMAXPROCS=%d, %s\n", o.concurrency, runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))

	var rows []row
	base, err := fix.baseline(ctx, o)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	rows = append(rows, base)
	report(out, base, base)

	for i, n := range counts {
		srv, err := fix.startServer(ctx, n)
		if err != nil {
			return fmt.Errorf("server with %d mappings: %w", n, err)
		}
		if i == 0 {
			cold, err := srv.cold(ctx, o)
			if err != nil {
				srv.stop()
				return fmt.Errorf("cold: %w", err)
			}
			rows = append(rows, cold)
			report(out, cold, base)
		}
		warm, err := srv.warm(ctx, o)
		srv.stop()
		if err != nil {
			return fmt.Errorf("warm with %d mappings: %w", n, err)
		}
		rows = append(rows, warm)
		report(out, warm, base)
	}
	summary(out, rows)
	if o.markdown != "" {
		return writeMarkdown(o.markdown, rows, o)
	}
	return nil
}

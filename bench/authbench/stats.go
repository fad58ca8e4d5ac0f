package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// row is one phase's result.
type row struct {
	name       string
	mappings   int
	requests   int
	elapsed    time.Duration
	p50, p99   time.Duration
	heapMiB    float64 // heap in use after GC with the server loaded; 0 when not measured
	sortedLats []time.Duration
}

func (r row) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func newRow(name string, mappings int, lats []time.Duration, elapsed time.Duration) row {
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	r := row{name: name, mappings: mappings, requests: len(lats), elapsed: elapsed, sortedLats: lats}
	if len(lats) > 0 {
		r.p50 = lats[len(lats)*50/100]
		r.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	}
	return r
}

func report(w io.Writer, r, base row) {
	heap := ""
	if r.heapMiB > 0 {
		heap = fmt.Sprintf("  heap %.1f MiB", r.heapMiB)
	}
	fmt.Fprintf(w, "%-34s %7d req  %9.0f req/s (%.2fx baseline)  p50 %-9s p99 %-9s%s\n",
		r.name, r.requests, r.throughput(), r.throughput()/base.throughput(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), heap)
}

// summary prints the ratios the targets are stated in.
func summary(w io.Writer, rows []row) {
	base := rows[0]
	var warm []row
	for _, r := range rows {
		if strings.HasPrefix(r.name, "warm") {
			warm = append(warm, r)
		}
	}
	if len(warm) == 0 {
		return
	}
	first, last := warm[0], warm[len(warm)-1]
	fmt.Fprintf(w, "\nwarm throughput / baseline:                 %.2f (target >= 0.50)\n", first.throughput()/base.throughput())
	fmt.Fprintf(w, "warm p99 (%d mappings):                     %s (target < 2ms)\n", first.mappings, first.p99.Round(time.Microsecond))
	fmt.Fprintf(w, "per-request cost, %d vs %d mappings (p50): %.2f (target <= 1.20)\n", last.mappings, first.mappings,
		float64(last.p50)/float64(first.p50))
	fmt.Fprintf(w, "throughput, %d vs %d mappings:             %.2f\n", last.mappings, first.mappings, last.throughput()/first.throughput())
	fmt.Fprintf(w, "heap with %d mappings:                   %.1f MiB (target < 200 MB)\n", last.mappings, last.heapMiB)
}

func writeMarkdown(path string, rows []row, o options) error {
	base := rows[0]
	var b strings.Builder
	fmt.Fprintf(&b, "| phase | mappings | requests | req/s | vs baseline | p50 | p99 | heap MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		heap := "-"
		if r.heapMiB > 0 {
			heap = fmt.Sprintf("%.1f", r.heapMiB)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.0f | %.2f | %s | %s | %s |\n", r.name, r.mappings, r.requests, r.throughput(),
			r.throughput()/base.throughput(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), heap)
	}
	fmt.Fprintf(&b, "\n(%d concurrent clients)\n", o.concurrency)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-mappings: %q is not a positive count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

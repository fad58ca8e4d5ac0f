package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// row is one phase's result in one round.
type row struct {
	name     string
	requests int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (r row) throughput() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func newRow(name string, lats []time.Duration, elapsed time.Duration) row {
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	r := row{name: name, requests: len(lats), elapsed: elapsed}
	if len(lats) > 0 {
		r.p50 = lats[len(lats)*50/100]
		r.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	}
	return r
}

func (r row) String() string {
	return fmt.Sprintf("%-44s %6d req %8.0f req/s  p50 %-9s p99 %s", r.name, r.requests, r.throughput(),
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
}

// ratio is one goal's figure over the rounds.
type ratio struct {
	name, goal string
	met        func(median float64) bool
	values     []float64
	unit       string // "x" by default
}

func (r *ratio) add(v float64) { r.values = append(r.values, v) }

func (r *ratio) summary() (median, lo, hi float64) {
	v := append([]float64(nil), r.values...)
	sort.Float64s(v)
	if len(v) == 0 {
		return 0, 0, 0
	}
	n := len(v)
	median = v[n/2]
	if n%2 == 0 {
		median = (v[n/2-1] + v[n/2]) / 2
	}
	return median, v[0], v[n-1]
}

// report writes the goals table in Markdown.
func report(w io.Writer, ratios []*ratio) {
	fmt.Fprintln(w, "| figure | median | min–max | rounds | goal | |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	for _, r := range ratios {
		if len(r.values) == 0 {
			fmt.Fprintf(w, "| %s | - | - | 0 | %s | not measured |\n", r.name, r.goal)
			continue
		}
		unit := r.unit
		if unit == "" {
			unit = "×"
		}
		m, lo, hi := r.summary()
		verdict := "missed"
		if r.met(m) {
			verdict = "met"
		}
		fmt.Fprintf(w, "| %s | %s%s | %s–%s%s | %d | %s | %s |\n", r.name, num(m), unit, num(lo), num(hi), unit, len(r.values), r.goal, verdict)
	}
}

func num(f float64) string {
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0f", f)
	case f >= 10:
		return fmt.Sprintf("%.1f", f)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

package main

import (
	"os"
	"strings"
	"testing"
)

func TestRatioSummary(t *testing.T) {
	for _, tc := range []struct {
		in            []float64
		med, lo, high float64
	}{
		{[]float64{3, 1, 2}, 2, 1, 3},
		{[]float64{4, 1, 2, 3}, 2.5, 1, 4},
		{[]float64{7}, 7, 7, 7},
	} {
		r := &ratio{}
		for _, v := range tc.in {
			r.add(v)
		}
		if m, lo, hi := r.summary(); m != tc.med || lo != tc.lo || hi != tc.high {
			t.Errorf("summary(%v) = %v, %v, %v; want %v, %v, %v", tc.in, m, lo, hi, tc.med, tc.lo, tc.high)
		}
	}
}

// TestProcReaders reads this process's own /proc entries.
func TestProcReaders(t *testing.T) {
	rss, hwm, err := procStatus(os.Getpid())
	if err != nil || rss <= 0 || hwm < rss {
		t.Fatalf("procStatus = %v, %v, %v; want 0 < VmRSS <= VmHWM", rss, hwm, err)
	}
	if _, err := cpuTime(os.Getpid()); err != nil {
		t.Fatalf("cpuTime: %v", err)
	}
	if n, err := readBytes(os.Getpid()); err != nil || n <= 0 {
		t.Fatalf("readBytes = %d, %v", n, err)
	}
	if la := loadavg(); len(strings.Fields(la)) != 3 {
		t.Fatalf("loadavg = %q", la)
	}
}

func TestReportMarksGoals(t *testing.T) {
	var b strings.Builder
	met := &ratio{name: "met one", goal: "≥ 3×", met: func(m float64) bool { return m >= 3 }, values: []float64{3.2, 2.9, 3.5}}
	missed := &ratio{name: "missed one", goal: "≥ 3×", met: func(m float64) bool { return m >= 3 }, values: []float64{1.5}}
	none := &ratio{name: "none", goal: "x"}
	report(&b, []*ratio{met, missed, none})
	out := b.String()
	for _, want := range []string{"| met one | 3.2× | 2.9–3.5× | 3 | ≥ 3× | met |", "| missed one | 1.5× | 1.5–1.5× | 1 | ≥ 3× | missed |", "| none | - | - | 0 | x | not measured |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// roundResult is one round: each store's throughput and their ratio.
type roundResult struct {
	first                 string
	kubernetes, bolt      float64 // requests per second
	kubernetesP99, bolt99 time.Duration
}

func (r roundResult) ratio() float64 { return r.kubernetes / r.bolt }

// rounds measures targets[0] (kubernetes) and targets[1] (bolt) in
// alternating order, so that neither always runs on a machine the other
// just warmed or loaded.
func rounds(ctx context.Context, o options, targets []*target) ([]roundResult, error) {
	var out []roundResult
	for i := 0; i < o.rounds; i++ {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		var res roundResult
		res.first = targets[order[0]].name
		for _, j := range order {
			rps, p99, err := measure(ctx, targets[j], o.requests, o.concurrency)
			if err != nil {
				return nil, err
			}
			if j == 0 {
				res.kubernetes, res.kubernetesP99 = rps, p99
			} else {
				res.bolt, res.bolt99 = rps, p99
			}
		}
		fmt.Printf("round %d (%s first): kubernetes %.0f req/s p99 %v, bolt %.0f req/s p99 %v, ratio %.3f\n",
			i+1, res.first, res.kubernetes, res.kubernetesP99.Round(time.Microsecond), res.bolt, res.bolt99.Round(time.Microsecond), res.ratio())
		out = append(out, res)
	}
	return out, nil
}

// measure sends n warm TokenReviews from c clients and returns the
// throughput and the 99th percentile latency.
func measure(ctx context.Context, t *target, n, c int) (float64, time.Duration, error) {
	var next atomic.Int64
	lats := make([]time.Duration, n)
	errs := make(chan error, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := t.review(ctx, t.tokens[i%len(t.tokens)]); err != nil {
					errs <- err
					return
				}
				lats[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, err
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return float64(n) / elapsed.Seconds(), lats[min(n-1, n*99/100)], nil
}

// report prints the median and range of the per-round ratios.
func report(w io.Writer, rs []roundResult) {
	ratios := make([]float64, len(rs))
	for i, r := range rs {
		ratios[i] = r.ratio()
	}
	sort.Float64s(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + ratios[len(ratios)/2]) / 2
	}
	fmt.Fprintf(w, "warm TokenReview throughput, kubernetes store / bolt store: median %.3f, min %.3f, max %.3f over %d rounds (goal: >= 0.90)\n",
		median, ratios[0], ratios[len(ratios)-1], len(ratios))
}

// loadAverage returns the 1- and 5-minute load averages.
func loadAverage() (string, string, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?", "?", err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return "?", "?", fmt.Errorf("/proc/loadavg: %q", b)
	}
	return f[0], f[1], nil
}

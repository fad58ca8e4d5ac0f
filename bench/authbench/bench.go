package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// bench is the whole run.
func bench(ctx context.Context, o options, stdout io.Writer) error {
	var out bytes.Buffer
	w := io.MultiWriter(stdout, &out)
	dir, err := os.MkdirTemp("", "kubeiam-authbench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintf(w, "run directory (kept): %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	before := loadavg()
	fmt.Fprintf(w, "authbench %s: %d clients, %d rounds, %d CPUs, load average before: %s\n",
		time.Now().UTC().Format(time.RFC3339), o.concurrency, o.rounds, runtime.NumCPU(), before)
	if err := binaries(ctx, &o, dir, w); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	e, baseURL, err := setup(ctx, dir, o.kubeiam, self)
	if err != nil {
		return err
	}
	defer e.close()

	ratios := newRatios(o)
	for _, p := range []struct {
		name string
		run  func() error
	}{
		{"webhook", func() error { return webhookRounds(ctx, o, e, baseURL, ratios, w) }},
		{"memory", func() error { return memoryPhase(ctx, o, e, ratios, w) }},
		{"token", func() error { return tokenPhase(ctx, o, e, ratios, w) }},
	} {
		if !slices.Contains(strings.Split(o.phases, ","), p.name) {
			continue
		}
		if err := p.run(); err != nil {
			return err
		}
	}
	after := loadavg()
	fmt.Fprintf(w, "\nload average before: %s, after: %s (%d CPUs)\n\n", before, after, runtime.NumCPU())
	report(w, ratios.all())
	if o.markdown != "" {
		return os.WriteFile(o.markdown, out.Bytes(), 0o644)
	}
	return nil
}

// binaries builds kubeiam and finds aws-iam-authenticator, unless given.
func binaries(ctx context.Context, o *options, dir string, w io.Writer) error {
	if o.kubeiam == "" {
		o.kubeiam = filepath.Join(dir, "kubeiam")
		fmt.Fprintln(w, "building kubeiam...")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", o.kubeiam, "./cmd/kubeiam")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/kubeiam (run from the repository root): %w: %s", err, b)
		}
	}
	if o.noAIA || o.aia != "" {
		return nil
	}
	fmt.Fprintf(w, "aws-iam-authenticator %s: hack/build-aws-iam-authenticator.sh (built once, then cached)...\n", aiaVersion)
	cmd := exec.CommandContext(ctx, "bash", "hack/build-aws-iam-authenticator.sh", aiaVersion)
	cmd.Stderr = w
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("hack/build-aws-iam-authenticator.sh (or pass -no-aws-iam-authenticator): %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	o.aia = lines[len(lines)-1]
	return nil
}

// ratios are the goals of issue #15, each a same-round ratio.
type ratios struct {
	cold, warmThroughput, warmP99, rssPeak, rss, idleCPU *ratio
	cachedVsAIA, cachedVsCLI, cachedVsFloor, coldToken   *ratio
}

func newRatios(o options) *ratios {
	return &ratios{
		cold: &ratio{name: fmt.Sprintf("cold TokenReview throughput, %d clients: kubeiam / aws-iam-authenticator", o.concurrency),
			goal: "≥ 3×", met: func(m float64) bool { return m >= 3 }},
		warmThroughput: &ratio{name: fmt.Sprintf("warm TokenReview throughput, %d clients: kubeiam / trivial handler", o.concurrency),
			goal: "≥ 0.75×", met: func(m float64) bool { return m >= 0.75 }},
		warmP99: &ratio{name: "warm TokenReview p99: kubeiam / trivial handler",
			goal: "≤ 1.5×", met: func(m float64) bool { return m <= 1.5 }},
		rssPeak: &ratio{name: fmt.Sprintf("server peak RSS (VmHWM) with %d mappings", o.mappings), unit: " MiB",
			goal: "< 150 MB (143 MiB)", met: func(m float64) bool { return m < 150e6/(1<<20) }},
		rss: &ratio{name: fmt.Sprintf("server RSS (VmRSS) with %d mappings, after load", o.mappings), unit: " MiB",
			goal: "< 150 MB (143 MiB)", met: func(m float64) bool { return m < 150e6/(1<<20) }},
		idleCPU: &ratio{name: fmt.Sprintf("server idle CPU with %d mappings, ms per 20 s", o.mappings), unit: " ms",
			goal: "~0 (≤ 20 ms)", met: func(m float64) bool { return m <= 20 }},
		cachedVsAIA: &ratio{name: "aws-iam-authenticator token / kubeiam-token (cached), wall time per process",
			goal: "≥ 3×", met: func(m float64) bool { return m >= 3 }},
		cachedVsCLI: &ratio{name: "aws eks get-token / kubeiam-token (cached)", goal: "(for reference)", met: func(float64) bool { return true }},
		cachedVsFloor: &ratio{name: "kubeiam-token (cached) / floor (a Go program printing a file)",
			goal: "< 2×", met: func(m float64) bool { return m < 2 }},
		coldToken: &ratio{name: "aws-iam-authenticator token / kubeiam token (cold, --no-cache)", goal: "(for reference)", met: func(float64) bool { return true }},
	}
}

func (r *ratios) all() []*ratio {
	return []*ratio{r.cold, r.warmThroughput, r.warmP99, r.rssPeak, r.rss, r.idleCPU, r.cachedVsAIA, r.cachedVsFloor, r.cachedVsCLI, r.coldToken}
}

// webhookRounds runs the TokenReview phases: the baseline, kubeiam warm,
// kubeiam cold and aws-iam-authenticator on the same cold tokens,
// interleaved in rounds.
func webhookRounds(ctx context.Context, o options, e *env, baseURL string, rs *ratios, w io.Writer) error {
	kb, err := e.startKubeiam(ctx, 10)
	if err != nil {
		return fmt.Errorf("kubeiam server: %w", err)
	}
	defer kb.stop()
	var aia *server
	if !o.noAIA {
		if aia, err = e.startAuthenticator(ctx, o.aia); err != nil {
			return fmt.Errorf("aws-iam-authenticator server: %w", err)
		}
		defer aia.stop()
	}
	warmToks, err := e.ids.mint(ctx, "developer", 64)
	if err != nil {
		return err
	}
	// Verify and cache every warm token once.
	if _, err := load(ctx, "prewarm", kb.url, warmToks, len(warmToks), 1, `"authenticated":true`); err != nil {
		return err
	}
	coldToks, err := e.ids.mint(ctx, "developer", o.rounds*o.cold)
	if err != nil {
		return err
	}
	const want = `"authenticated":true`
	for r := 0; r < o.rounds; r++ {
		cold := coldToks[r*o.cold : (r+1)*o.cold]
		phases := []struct {
			name string
			run  func() (row, error)
		}{
			{"baseline", func() (row, error) {
				return load(ctx, "trivial handler (fixed TokenReview)", baseURL, warmToks, o.warm, o.concurrency, want)
			}},
			{"warm", func() (row, error) {
				return load(ctx, "kubeiam, warm tokens (cached identity)", kb.url, warmToks, o.warm, o.concurrency, want)
			}},
			{"cold", func() (row, error) {
				return load(ctx, "kubeiam, cold tokens (STS over TLS)", kb.url, cold, len(cold), o.concurrency, want)
			}},
		}
		if aia != nil {
			phases = append(phases, struct {
				name string
				run  func() (row, error)
			}{"aia", func() (row, error) {
				return load(ctx, "aws-iam-authenticator, same cold tokens", aia.url, cold, len(cold), o.concurrency, want)
			}})
		}
		fmt.Fprintf(w, "\nround %d (load average %s)\n", r+1, loadavg())
		got := map[string]row{}
		for i := range phases {
			p := phases[(i+r)%len(phases)]
			cpu := e.cpuSnapshot(kb, aia)
			res, err := p.run()
			if err != nil {
				return err
			}
			got[p.name] = res
			fmt.Fprintln(w, "  "+res.String())
			fmt.Fprintf(w, "    CPU per request: %s\n", cpu.perRequest(e.cpuSnapshot(kb, aia), res.requests))
		}
		base, warm := got["baseline"], got["warm"]
		rs.warmThroughput.add(warm.throughput() / base.throughput())
		rs.warmP99.add(float64(warm.p99) / float64(base.p99))
		if a, ok := got["aia"]; ok {
			rs.cold.add(got["cold"].throughput() / a.throughput())
		}
	}
	rss, hwm, err := procStatus(kb.pid())
	if err == nil {
		fmt.Fprintf(w, "\nkubeiam server with 10 mappings after the rounds: VmRSS %.1f MiB, VmHWM %.1f MiB\n", rss, hwm)
	}
	if aia != nil {
		if rss, hwm, err := procStatus(aia.pid()); err == nil {
			fmt.Fprintf(w, "aws-iam-authenticator server after the rounds: VmRSS %.1f MiB, VmHWM %.1f MiB\n", rss, hwm)
		}
	}
	return nil
}

// memoryPhase starts a server with o.mappings mappings, loads it, reads
// its memory, and measures its CPU while idle.
func memoryPhase(ctx context.Context, o options, e *env, rs *ratios, w io.Writer) error {
	fmt.Fprintf(w, "\nkubeiam server with %d mappings (load average %s)\n", o.mappings, loadavg())
	t0 := time.Now()
	s, err := e.startKubeiam(ctx, o.mappings)
	if err != nil {
		return fmt.Errorf("kubeiam server with %d mappings: %w", o.mappings, err)
	}
	defer s.stop()
	fmt.Fprintf(w, "  ready in %s\n", time.Since(t0).Round(time.Millisecond))
	toks, err := e.ids.mint(ctx, "developer", 64)
	if err != nil {
		return err
	}
	res, err := load(ctx, fmt.Sprintf("kubeiam, warm tokens, %d mappings", o.mappings), s.url, toks, o.warm, o.concurrency, `"authenticated":true`)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  "+res.String())
	rss, hwm, err := procStatus(s.pid())
	if err != nil {
		return err
	}
	rs.rss.add(rss)
	rs.rssPeak.add(hwm)
	fmt.Fprintf(w, "  VmRSS %.1f MiB, VmHWM (peak) %.1f MiB\n", rss, hwm)
	// Idle: nothing changes; the aws-auth file is polled every 2 s. A
	// 5 s settle first: the file was written just before the server
	// started, and a file modified within 2 s of its read is read once
	// more (its times cannot tell two writes in one tick apart).
	select {
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	c0, err := cpuTime(s.pid())
	if err != nil {
		return err
	}
	r0, _ := readBytes(s.pid())
	select {
	case <-time.After(o.idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	c1, err := cpuTime(s.pid())
	if err != nil {
		return err
	}
	r1, _ := readBytes(s.pid())
	per20 := float64(c1-c0) / float64(time.Millisecond) * float64(20*time.Second) / float64(o.idle)
	rs.idleCPU.add(per20)
	fmt.Fprintf(w, "  idle CPU: %s over %s (%.0f ms per 20 s); %d bytes read meanwhile\n", c1-c0, o.idle, per20, r1-r0)
	return nil
}

// tokenPhase times the token commands as whole processes.
func tokenPhase(ctx context.Context, o options, e *env, rs *ratios, w io.Writer) error {
	fmt.Fprintf(w, "\ntoken commands, whole processes (load average %s)\n", loadavg())
	aia := o.aia
	if o.noAIA {
		aia = ""
	}
	cmds, err := tokenCommands(ctx, e, aia)
	if err != nil {
		return err
	}
	med, err := timeCommands(w, cmds, o.tokenRuns)
	if err != nil {
		return err
	}
	cached := float64(med[cachedTokenName])
	rs.cachedVsFloor.add(cached / float64(med["floor: a Go program printing a file"]))
	if v, ok := med["aws-iam-authenticator token"]; ok {
		rs.cachedVsAIA.add(float64(v) / cached)
		rs.coldToken.add(float64(v) / float64(med["kubeiam token (cold, --no-cache)"]))
	}
	if v, ok := med["aws eks get-token"]; ok {
		rs.cachedVsCLI.add(float64(v) / cached)
	}
	return nil
}

// cpuSnap is the CPU time of the processes a cold request goes through.
type cpuSnap map[string]time.Duration

func (e *env) cpuSnapshot(kb, aia *server) cpuSnap {
	s := cpuSnap{}
	for name, p := range map[string]*proc{"kubeiam": kb.proc, "local STS": e.sts, "TLS proxy": e.proxy, "trivial handler": e.baseline, "load generator": e.loadGenerator()} {
		if t, err := cpuTime(p.pid()); err == nil {
			s[name] = t
		}
	}
	if aia != nil {
		if t, err := cpuTime(aia.pid()); err == nil {
			s["aws-iam-authenticator"] = t
		}
	}
	return s
}

// perRequest names each process's CPU time per request between s and
// later, in a fixed order.
func (s cpuSnap) perRequest(later cpuSnap, n int) string {
	var parts []string
	for _, name := range []string{"kubeiam", "aws-iam-authenticator", "trivial handler", "local STS", "TLS proxy", "load generator"} {
		a, ok1 := s[name]
		b, ok2 := later[name]
		if !ok1 || !ok2 || n == 0 || b == a {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s", name, ((b-a)/time.Duration(n)).Round(time.Microsecond)))
	}
	return strings.Join(parts, ", ")
}

// Command tokenbench times "kubeiam token" as kubectl runs it: whole
// processes, one after another, with the token cache warm. It builds a
// floor program (a Go binary that prints a file), kubeiam-token and
// kubeiam, and runs them, and optionally aws-iam-authenticator, in
// interleaved rounds, reporting per-process medians and, per round, the
// ratio to the floor (median and min–max over rounds). No timing is
// asserted anywhere; the figures go to BENCHMARKS.md.
//
//	go run ./bench/tokenbench [-rounds 7] [-runs 40] [-authenticator PATH]
//
// Credentials are example keys in the environment, so nothing is sent
// anywhere: minting a token is local presigning, and the cached runs read
// the private token cache under a temporary HOME.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type program struct {
	name string
	argv []string
	// inits is the number of package initialisers the process runs.
	inits int
	size  int64
	// perRound[i] is the median wall time of one process in round i.
	perRound []time.Duration
}

func main() {
	rounds := flag.Int("rounds", 7, "interleaved rounds")
	runs := flag.Int("runs", 40, "processes per program per round")
	authenticator := flag.String("authenticator", "", "aws-iam-authenticator binary to compare with (default: on PATH, else skipped)")
	flag.Parse()
	if err := run(*rounds, *runs, *authenticator); err != nil {
		fmt.Fprintf(os.Stderr, "tokenbench: %v\n", err)
		os.Exit(1)
	}
}

func run(rounds, runs int, authenticator string) error {
	dir, err := os.MkdirTemp("", "tokenbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	for _, pkg := range []string{"./bench/tokenbench/floor", "./cmd/kubeiam-token", "./cmd/kubeiam"} {
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", dir+string(os.PathSeparator), pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	home := filepath.Join(dir, "home")
	env := []string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_REGION=us-west-2", "AWS_EC2_METADATA_DISABLED=true", "KUBERNETES_EXEC_INFO=" +
			`{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`}

	// Prime the cache (a miss: kubeiam-token hands over to kubeiam) and
	// keep the ExecCredential for the floor to print.
	cred, err := output(env, filepath.Join(dir, "kubeiam-token"), "--cluster-name", "bench")
	if err != nil {
		return fmt.Errorf("priming the cache: %w", err)
	}
	credFile := filepath.Join(dir, "credential.json")
	if err := os.WriteFile(credFile, cred, 0o600); err != nil {
		return err
	}
	progs := []*program{
		{name: "floor (Go, prints a file)", argv: []string{filepath.Join(dir, "floor"), credFile}},
		{name: "kubeiam-token, cached", argv: []string{filepath.Join(dir, "kubeiam-token"), "--cluster-name", "bench"}},
		{name: "kubeiam token, cached", argv: []string{filepath.Join(dir, "kubeiam"), "token", "--cluster-name", "bench"}},
	}
	if authenticator == "" {
		authenticator, _ = exec.LookPath("aws-iam-authenticator")
	}
	if authenticator != "" {
		progs = append(progs, &program{name: "aws-iam-authenticator token", argv: []string{authenticator, "token", "-i", "bench"}})
	}
	for _, p := range progs {
		if _, err := output(env, p.argv[0], p.argv[1:]...); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		p.inits = initCount(env, p.argv)
		if fi, err := os.Stat(p.argv[0]); err == nil {
			p.size = fi.Size()
		}
	}
	for r := 0; r < rounds; r++ {
		// Rotate the order, so no program always runs first.
		for i := range progs {
			p := progs[(i+r)%len(progs)]
			d, err := median(env, p.argv, runs)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			p.perRound = append(p.perRound, d)
		}
	}
	report(progs, rounds, runs)
	return nil
}

// median runs argv n times and returns the median wall time of a run.
func median(env, argv []string, n int) (time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = env
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	return medianOf(ds), nil
}

func medianOf(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ratios(a, b []time.Duration) (med, lo, hi float64) {
	rs := make([]float64, len(a))
	for i := range a {
		rs[i] = float64(a[i]) / float64(b[i])
	}
	sort.Float64s(rs)
	return rs[len(rs)/2], rs[0], rs[len(rs)-1]
}

func output(env []string, name string, args ...string) ([]byte, error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// initCount counts the package initialisers GODEBUG=inittrace=1 reports.
func initCount(env, argv []string) int {
	var errOut bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stderr = append(append([]string{}, env...), "GODEBUG=inittrace=1"), &errOut
	if err := cmd.Run(); err != nil {
		return -1
	}
	return strings.Count(errOut.String(), "init ")
}

func report(progs []*program, rounds, runs int) {
	floor := progs[0]
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Printf("tokenbench: %d rounds x %d processes each, interleaved; %s %s/%s, %d CPUs, load average %s\n\n",
		rounds, runs, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), load)
	fmt.Println("| process (warm token cache) | binary | inits | median per run | × floor, median (min–max over rounds) |")
	fmt.Println("|---|---|---|---|---|")
	for _, p := range progs {
		med, lo, hi := ratios(p.perRound, floor.perRound)
		fmt.Printf("| %s | %.1f MB | %d | %.2f ms | %.2f× (%.2f–%.2f) |\n", p.name, float64(p.size)/1e6, p.inits,
			float64(medianOf(p.perRound))/1e6, med, lo, hi)
	}
	slim := progs[1]
	fmt.Println()
	for _, p := range progs[2:] {
		med, lo, hi := ratios(p.perRound, slim.perRound)
		fmt.Printf("- kubeiam-token is %.2f× faster than %s (min–max over rounds %.2f–%.2f)\n", med, p.name, lo, hi)
	}
}

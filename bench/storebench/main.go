// Command storebench compares kubeiam's warm TokenReview throughput on the
// kubernetes store (state in kubeiam.io resources, served from a watch-fed
// cache) with the embedded bolt store (issue 12: within 10%):
//
//	go run ./bench/storebench          (or: make bench-store)
//
// It starts etcd and kube-apiserver (built by "make e2e-tools"), a local STS
// in this process, and two "kubeiam server" processes wired as on a real
// control plane (mutual TLS, "kubeiam init" state): one with "--store
// kubernetes", one with "--store bolt". Both map the same developer through
// an access entry with an access policy, created through each server's API,
// so every review resolves through the store's snapshot. This process is the
// load generator: the same warm tokens, the same clients, alternating which
// server goes first in each round. It reports each round's ratio and their
// median and range; no absolute figure is compared with another run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
)

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 5, "rounds; each measures both stores, alternating which goes first")
	flag.IntVar(&o.requests, "requests", 10000, "warm TokenReviews per server per round")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent clients")
	flag.StringVar(&o.dir, "dir", "", "where the control plane's files go (default: a temporary directory, removed after)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

type options struct {
	rounds, requests, concurrency int
	dir                           string
}

func run(ctx context.Context, o options) (err error) {
	if o.rounds < 1 || o.requests < 1 || o.concurrency < 1 {
		return fmt.Errorf("-rounds, -requests and -c must be at least 1")
	}
	apiserver, err := harness.KubeAPIServerPath(ctx)
	if err != nil {
		return err
	}
	if _, err := os.Stat(apiserver); err != nil {
		return fmt.Errorf("kube-apiserver: %w (run \"make e2e-tools\")", err)
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return fmt.Errorf("%w (run \"make tools\")", err)
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kubeiam-storebench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	startCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	fmt.Printf("storebench: building kubeiam, starting etcd, kube-apiserver and two kubeiam servers in %s\n", dir)
	kubeiam, err := harness.BuildKubeiam(startCtx, dir)
	if err != nil {
		return err
	}
	crds, err := filepath.Abs(filepath.Join("deploy", "base", "crds"))
	if err != nil {
		return err
	}
	h, err := harness.StartHA(startCtx, harness.HAOptions{Dir: dir, KubeAPIServer: apiserver, Etcd: etcd, Kubeiam: kubeiam, CRDDir: crds})
	if err != nil {
		return err
	}
	defer func() {
		if stopErr := h.Stop(); err == nil {
			err = stopErr
		}
	}()
	var targets []*target
	for _, store := range []string{"kubernetes", "bolt"} {
		r, err := h.AddReplica(startCtx, store, store)
		if err != nil {
			return err
		}
		t, err := newTarget(startCtx, h, r)
		if err != nil {
			return fmt.Errorf("%s store: %w", store, err)
		}
		defer t.close()
		targets = append(targets, t)
	}
	load1, load5, _ := loadAverage()
	fmt.Printf("storebench: %d rounds x %d warm TokenReviews x 2 stores, %d clients, GOMAXPROCS=%d, load average %s %s, %s\n",
		o.rounds, o.requests, o.concurrency, runtime.GOMAXPROCS(0), load1, load5, time.Now().UTC().Format(time.RFC3339))
	ratios, err := rounds(ctx, o, targets)
	if err != nil {
		return err
	}
	load1, load5, _ = loadAverage()
	report(os.Stdout, ratios)
	fmt.Printf("storebench: load average after %s %s\n", load1, load5)
	return nil
}

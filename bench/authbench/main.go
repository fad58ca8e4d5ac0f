// Command authbench measures kubeiam's TokenReview webhook and its token
// plugin against aws-iam-authenticator and trivial baselines, each a
// separate process, on loopback:
//
//	go run ./bench/authbench            (or: make bench-server)
//	go run ./bench/authbench -quick     (about 2 minutes)
//
// Processes: the local STS ("kubeiam sts"); a TLS proxy in front of it
// (this program, -role proxy) that both servers reach through HTTPS_PROXY,
// presenting certificates for sts.*.amazonaws.com from a CA made for the
// run and trusted through SSL_CERT_FILE; the trivial baseline (-role
// baseline), a Go handler answering a fixed TokenReview over TLS; "kubeiam
// server" with JSON decision logging to a file, as in production; and
// "aws-iam-authenticator server" (built once from source and cached by
// hack/build-aws-iam-authenticator.sh). This process is the load generator.
//
// Phases run interleaved in several rounds (the order rotates each round),
// and every figure is a ratio between two phases of the same round,
// reported as the median and the range over the rounds: absolute numbers on
// a shared machine mean little. Memory is the server process's VmRSS and
// VmHWM (peak) from /proc; idle CPU its utime+stime over an idle interval.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "fewer rounds and requests: about 2 minutes")
	flag.IntVar(&o.concurrency, "c", 32, "concurrent clients")
	flag.IntVar(&o.rounds, "rounds", 0, "rounds of interleaved phases (default 5, -quick 2)")
	flag.IntVar(&o.warm, "warm", 0, "requests per warm phase (default 20000, -quick 5000)")
	flag.IntVar(&o.cold, "cold", 0, "requests per cold phase, each a new token (default 800, -quick 400; rounds × cold ≤ 9600)")
	flag.IntVar(&o.mappings, "mappings", 100000, "aws-auth mappings of the memory and idle-CPU phase")
	flag.DurationVar(&o.idle, "idle", 0, "idle interval over which the server's CPU is measured (default 20s, -quick 10s)")
	flag.IntVar(&o.tokenRuns, "token-runs", 0, "runs of each token command (default 30, -quick 10)")
	flag.StringVar(&o.kubeiam, "kubeiam", "", "kubeiam binary to measure (default: built from ./cmd/kubeiam into the run directory)")
	flag.StringVar(&o.aia, "aws-iam-authenticator", "", "aws-iam-authenticator binary (default: hack/build-aws-iam-authenticator.sh "+aiaVersion+")")
	flag.BoolVar(&o.noAIA, "no-aws-iam-authenticator", false, "skip aws-iam-authenticator")
	flag.StringVar(&o.markdown, "markdown", "", "also write the report (Markdown) to this file")
	flag.BoolVar(&o.keep, "keep", false, "keep the run directory (logs, configurations)")
	flag.StringVar(&o.phases, "phases", "webhook,memory,token", "which phases to run, comma-separated")
	// The child roles.
	flag.StringVar(&o.role, "role", "", "internal: run as the proxy or the baseline")
	flag.StringVar(&o.listen, "listen", "", "internal: the role's listen address")
	flag.StringVar(&o.upstream, "upstream", "", "internal: the proxy's upstream (the local STS)")
	flag.StringVar(&o.ca, "ca", "", "internal: the run's CA certificate")
	flag.StringVar(&o.caKey, "ca-key", "", "internal: the run's CA key")
	flag.Parse()
	var err error
	switch o.role {
	case "proxy":
		err = runProxy(o.listen, o.upstream, o.ca, o.caKey)
	case "baseline":
		err = runBaseline(o.listen, o.ca, o.caKey)
	case "":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		err = bench(ctx, o.withDefaults(), os.Stdout)
		stop()
	default:
		err = fmt.Errorf("unknown -role %q", o.role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "authbench:", err)
		os.Exit(1)
	}
}

// aiaVersion is the aws-iam-authenticator release measured: the newest the
// Go module proxy serves.
const aiaVersion = "v0.7.18"

type options struct {
	quick                                     bool
	concurrency, rounds, warm, cold, mappings int
	tokenRuns                                 int
	idle                                      time.Duration
	kubeiam, aia, markdown, phases            string
	noAIA, keep                               bool
	role, listen, upstream, ca, caKey         string
}

func (o options) withDefaults() options {
	def := func(v *int, full, quick int) {
		if *v <= 0 {
			*v = full
			if o.quick {
				*v = quick
			}
		}
	}
	def(&o.rounds, 5, 2)
	def(&o.warm, 20000, 5000)
	def(&o.cold, 800, 400)
	def(&o.tokenRuns, 30, 10)
	if o.idle <= 0 {
		o.idle = 20 * time.Second
		if o.quick {
			o.idle = 10 * time.Second
		}
	}
	return o
}

// Command kubeiam authenticates Kubernetes users with their AWS IAM identity,
// maps them to Kubernetes users and groups, and explains every decision.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubeiam/kubeiam/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.StdIO(), os.Args[1:])
	stop()
	os.Exit(code)
}

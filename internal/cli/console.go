package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/console"
)

type consoleFlags struct {
	eks                 eksOptions
	server              string
	listen              string
	open                bool
	kubeconfig, kubeCtx string
	sources             struct{ awsAuth, rbac, creator string }
}

const consoleLong = `Console serves kubeiam's web console on loopback, for you alone (like
"kubectl proxy"): a random port, and a secret for this run in the URL it prints.
Open that URL; the secret becomes a cookie, and a request without it is refused.
Every call the console makes to the kubeiam server carries your own token,
minted from your AWS credentials as the other commands mint it, so it can do
exactly what you may do through the API, and nothing more.

Pages: Overview (the cluster, the authentication mode, its one-way changes and
who would lose access before one), Access entries (list, filter, create, edit,
delete, associate and disassociate access policies), aws-auth (the mappings in
force and every validation problem with its line), Decisions (the live decision
log), Explain (as "kubeiam explain") and Who can (as "kubeiam who-can", with a
graph of the paths).

The access-management API is --endpoint-url (default $KUBEIAM_ENDPOINT), the
decision log and explain are --server (default $KUBEIAM_WEBHOOK, CA --ca-file).
aws-auth is read from --aws-auth FILE (the dev server's) or, with --kubeconfig,
from the cluster, as RBAC is (or from --rbac FILE).

Stop with Ctrl-C. Exit status: 0 stopped, 1 failed, 2 bad usage.`

// newConsoleCommand builds "kubeiam console".
func newConsoleCommand(s IO) *cobra.Command {
	d := defaultDiagDeps(s)
	wc := defaultWhoCanDeps(s)
	var f consoleFlags
	cmd := &cobra.Command{
		Use:   "console [--open] [--aws-auth FILE | --kubeconfig FILE]",
		Short: "Serve the web console on loopback, as you",
		Long:  consoleLong,
		Example: `  . .kubeiam-dev/dev.env
  AWS_PROFILE=creator kubeiam console --aws-auth .kubeiam-dev/aws-auth.yaml --open`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.eks.validate(); err != nil {
				return err
			}
			b := &consoleBackend{d: d, wc: wc, f: &f}
			b.eks = func(ctx context.Context) (*eks.Client, error) { return wc.eks(ctx, &f.eks) }
			return runConsole(cmd.Context(), s, f, b)
		},
	}
	addEKSFlags(cmd, s, &f.eks)
	_ = cmd.PersistentFlags().MarkHidden("output") // the console renders pages, not output
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", s.Getenv("KUBEIAM_WEBHOOK"), "kubeiam server URL for decisions and explain (default $KUBEIAM_WEBHOOK)")
	fl.StringVar(&f.listen, "listen", "127.0.0.1:0", "loopback address to serve on (port 0: a random one)")
	fl.BoolVar(&f.open, "open", false, "open the console in your browser")
	fl.StringVar(&f.sources.awsAuth, "aws-auth", "", "aws-auth ConfigMap file to show (the dev server's)")
	fl.StringVar(&f.sources.rbac, "rbac", "", "RBAC objects file, for who-can")
	fl.StringVar(&f.sources.creator, "creator", "", "the cluster creator ARN, for who-can in CONFIG_MAP")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "read aws-auth and RBAC from the cluster of this kubeconfig")
	fl.StringVar(&f.kubeCtx, "context", "", "kubeconfig context")
	return cmd
}

func runConsole(ctx context.Context, s IO, f consoleFlags, b console.Backend) error {
	host, _, err := net.SplitHostPort(f.listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return withExitCode(2, fmt.Errorf("--listen %q: the console serves on a loopback address only (127.0.0.1:PORT)", f.listen))
	}
	secret, err := console.NewSecret()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	c, err := console.New(console.Config{Backend: b, Secret: secret, Addr: ln.Addr().String(), Now: s.Now})
	if err != nil {
		ln.Close()
		return err
	}
	url := console.URL(ln.Addr().String(), secret)
	fmt.Fprintf(s.Out, "kubeiam console for cluster %s: open\n\n  %s\n\nThe URL holds this run's secret: do not share it. Stop with Ctrl-C.\n", f.eks.clusterName, url)
	if f.open {
		if err := openBrowser(url); err != nil {
			fmt.Fprintf(s.Err, "could not open a browser (%v); open the URL above yourself\n", err)
		}
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openBrowser asks the desktop to open url, only when --open asks for it.
func openBrowser(url string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	return exec.Command(name, url).Start()
}

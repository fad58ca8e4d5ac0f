package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/lab"
	"github.com/kubeiam/kubeiam/internal/lab/kubeapiserver"
)

// labDeps is what "kubeiam lab" needs beyond IO; tests replace it.
type labDeps struct {
	IO
	// Executable is this kubeiam binary, the kubeconfigs' exec plugin.
	Executable func() (string, error)
	// LookPath finds programs on PATH.
	LookPath func(string) (string, error)
	// Run runs the lab; Build builds kube-apiserver.
	Run   func(context.Context, lab.Options) error
	Build func(context.Context, kubeapiserver.BuildOptions) (string, error)
	// IsTTY says whether a stream is a terminal.
	IsTTY func(io.Writer) bool
}

func newLabCommand(s IO) *cobra.Command {
	return newLabCommandWith(labDeps{
		IO: s, Executable: os.Executable, LookPath: exec.LookPath,
		Run: lab.Run, Build: kubeapiserver.Build, IsTTY: isTerminal,
	})
}

func newLabCommandWith(d labDeps) *cobra.Command {
	var o lab.Options
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a local Kubernetes cluster wired to kubeiam, with an exercise",
		Long: `Run a local control plane — etcd and kube-apiserver — wired to a kubeiam server with a
local STS and seeded identities, all on 127.0.0.1, and print an exercise that
reproduces and fixes the classic "error: You must be logged in to the server
(Unauthorized)": the cluster creator works without any mapping, the developer is
refused until you map them in aws-auth or give them an access entry.

It writes, in --dir: a kubeconfig per identity (creator, developer, admin) whose
exec plugin is the kubeiam-token next to this kubeiam binary, as "kubeiam
kubeconfig" writes it (this binary's "token" command when there is none), AWS
credentials and config files, and creator.env and developer.env to source. Every start is a fresh
cluster. Ctrl-C stops everything.

kube-apiserver is built from source on first use (about 5 minutes; it needs the
Go toolchain on PATH and the Go module proxy) and cached in
$XDG_CACHE_HOME/kubeiam (default ~/.cache/kubeiam); --kube-apiserver uses a
binary you have instead. etcd comes from PATH or --etcd.`,
		Example: `  kubeiam lab
  kubeiam lab --dir /tmp/lab --kube-apiserver ~/bin/kube-apiserver
  kubeiam lab build-apiserver        # build kube-apiserver now, print its path`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := d.Executable()
			if err != nil {
				return fmt.Errorf("find the kubeiam binary for the exec plugin: %w", err)
			}
			if _, err := d.LookPath("kubectl"); err != nil {
				fmt.Fprintln(d.Err, "kubeiam lab: kubectl is not on PATH; the exercise needs it (https://kubernetes.io/docs/tasks/tools/)")
			}
			o.Kubeiam, o.Command = exe, selfSpelling(exe, d.LookPath)
			o.Out, o.Err, o.TTY = d.Out, d.Err, d.IsTTY(d.Err)
			return d.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dir, "dir", lab.DefaultDir, "where the lab's files, state and logs go; one lab per directory")
	f.StringVar(&o.KubeAPIServer, "kube-apiserver", "", "kube-apiserver binary to run (default: the cached build, built on first use)")
	f.StringVar(&o.Etcd, "etcd", "", "etcd binary to run (default: etcd on PATH)")
	cmd.AddCommand(newLabBuildCommand(d))
	return cmd
}

func newLabBuildCommand(d labDeps) *cobra.Command {
	var pathOnly bool
	cmd := &cobra.Command{
		Use:   "build-apiserver",
		Short: "Build and cache the lab's kube-apiserver, and print its path",
		Long: `Build kube-apiserver ` + kubeapiserver.Version() + ` from source with the Go toolchain, when it is not
cached yet, and print the binary's path. "kubeiam lab" does this on first use;
"make e2e-tools" runs it for the end-to-end tests. It takes about 5 minutes on
two cores the first time and needs "go" on PATH and the Go module proxy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var path string
			var err error
			if pathOnly {
				path, err = kubeapiserver.CachePath()
			} else {
				path, err = d.Build(cmd.Context(), kubeapiserver.BuildOptions{Progress: d.Err, TTY: d.IsTTY(d.Err), LookPath: d.LookPath})
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(d.Out, path)
			return err
		},
	}
	cmd.Flags().BoolVar(&pathOnly, "path", false, "print where the binary is cached, never build")
	return cmd
}

// selfSpelling is how the exercise spells kubeiam: "go run ./cmd/kubeiam"
// under go run, "kubeiam" when that is this binary on PATH, else its path.
func selfSpelling(exe string, lookPath func(string) (string, error)) string {
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return "go run ./cmd/kubeiam"
	}
	if p, err := lookPath("kubeiam"); err == nil && sameFile(p, exe) {
		return "kubeiam"
	}
	return exe
}

func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

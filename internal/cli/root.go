// Package cli holds kubeiam's commands: one file per command group, each
// command built from an IO struct so tests can run it without a process.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// IO is what a command may touch of the outside world. Tests fill it with
// buffers, a fixed environment and a fake clock.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

// StdIO returns the process's real standard streams, environment and clock.
func StdIO() IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Now: time.Now}
}

// exitError carries a specific exit code out of a command (for example
// "verify" exits 1 for a denied token, 2 for a usage error).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExitCode wraps err so that Main exits with code.
func withExitCode(code int, err error) error { return &exitError{code: code, err: err} }

// NewRootCommand builds the kubeiam command tree.
func NewRootCommand(s IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubeiam",
		Short: "AWS IAM authentication, access entries and diagnosis for any Kubernetes cluster",
		Long: `kubeiam authenticates kubectl users with their AWS IAM identity, the way Amazon EKS does:
kubectl runs "kubeiam token" to presign an STS GetCallerIdentity request, the API server
hands that token to "kubeiam server", which asks STS who signed it and maps the ARN to a
Kubernetes username and groups through the aws-auth ConfigMap and access entries.

Start with "kubeiam server --dev": a local STS, an embedded store and the webhooks,
all on loopback, with a guided tour.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Bad flags are usage errors: exit 2, like every other usage error.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withExitCode(2, fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	setVersionFlag(root)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.AddCommand(
		newVerifyCommand(s),
		newTokenCommand(s),
		newKubeconfigCommand(s),
		newSTSCommand(s),
		newServerCommand(s),
		newInitCommand(s),
		newClusterCommand(s),
		newAccessEntryCommand(s),
		newAccessPolicyCommand(s),
		newAWSAuthCommand(s),
		newMigrateCommand(s),
		newStoreCommand(s),
		newExplainCommand(s),
		newWhoCanCommand(s),
		newConsoleCommand(s),
		newDoctorCommand(s),
		newWhoamiCommand(s),
		newLogsCommand(s),
		newLabCommand(s),
		newVersionCommand(s),
	)
	registerCompletions(root, s)
	return root
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, s IO, args []string) int {
	return execute(ctx, NewRootCommand(s), s.Err, args)
}

// execute runs cmd with args, prints its error the way the kubeiam binary
// does, and returns the exit code: the one an error carries, 2 for an
// unknown command, 1 for any other failure. Main and the command tests
// share it.
func execute(ctx context.Context, cmd *cobra.Command, errOut io.Writer, args []string) int {
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(errOut, "error: %v\n", err)
	if strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(errOut, "Run 'kubeiam --help' for the list of commands.")
	}
	return exitCodeOf(err)
}

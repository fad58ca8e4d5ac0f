package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/version"
)

func newVersionCommand(s IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the kubeiam version, commit and Go version",
		Long: `Print the kubeiam version, the commit it was built from and the Go toolchain that
built it. "make build" stamps the version (git describe) and commit in; a
"go install" or "go build" reports the module version and the VCS revision Go
recorded. "kubeiam --version" and "kubeiam-token --version" print the same line.`,
		Example: `  kubeiam version
  kubeiam version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := version.Get()
			switch output {
			case "text":
				_, err := fmt.Fprintln(s.Out, in)
				return err
			case "json":
				b, err := json.MarshalIndent(in, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(s.Out, "%s\n", b)
				return err
			}
			return withExitCode(2, fmt.Errorf("--output %q: want text or json", output))
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// setVersionFlag gives root a --version flag printing what "kubeiam
// version" prints.
func setVersionFlag(root *cobra.Command) {
	root.Version = version.Get().String()
	root.SetVersionTemplate("{{.Version}}\n")
}

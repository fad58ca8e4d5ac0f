package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// newSTSRecreateRoleCommand builds "kubeiam sts recreate-role".
func newSTSRecreateRoleCommand(s IO) *cobra.Command {
	var configFile string
	cmd := &cobra.Command{
		Use:   "recreate-role --config FILE ROLE_ARN",
		Short: "Delete and recreate a role of the local STS: same name, new unique ID",
		Long: `Recreate-role records in a local STS config that a role was deleted and created
again with the same name, as "aws iam delete-role" then "create-role" would do in
AWS: the role keeps its name, path and trust, and gets a new unique ID (AROA...).
The local STS (and "kubeiam server --dev", whose config is DEV-DIR/sts.yaml)
uses it from its next start; sessions of the old role end with it.

Use it to see what EKS does to an access entry whose principal is recreated: the
entry stays bound to the old role's unique ID, so the recreated role is
Unauthorized until the entry is recreated ("kubeiam explain" names the cause,
PRINCIPAL_RECREATED, and prints the commands).

It prints the role's new unique ID.`,
		Example: `  kubeiam sts recreate-role --config .kubeiam-dev/sts.yaml arn:aws:iam::111122223333:role/admin
  # then restart "kubeiam server --dev"`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withExitCode(2, errors.New("recreate-role takes one argument, the role's ARN"))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if configFile == "" {
				return withExitCode(2, errors.New("--config is required: the local STS config file to change"))
			}
			id, err := recreateRoleInFile(configFile, args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.Out, "%s\n", id)
			return err
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	cmd.Flags().StringVar(&configFile, "config", "", "the local STS config file (YAML) to change (required)")
	return cmd
}

// recreateRoleInFile bumps the role's generation in the config file,
// replacing the file atomically with the same mode (it holds secrets).
func recreateRoleInFile(path, roleARN string) (string, error) {
	data, err := readInput(path)
	if err != nil {
		return "", withExitCode(2, fmt.Errorf("read --config: %w", err))
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", withExitCode(2, fmt.Errorf("read --config: %w", err))
	}
	cfg, err := localsts.ParseConfig(data)
	if err != nil {
		return "", withExitCode(2, fmt.Errorf("--config %s: %w", path, err))
	}
	id, err := cfg.RecreateRole(roleARN)
	if err != nil {
		return "", withExitCode(2, err)
	}
	out, err := cfg.Marshal()
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sts-*.yaml")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing to remove
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(out); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return id, nil
}

package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubeiam/kubeiam/internal/kube"
)

// This file holds what keeps concurrent aws-auth edits safe and their
// history whole: the conflict retry settings and unique backup files.

// awsAuthRetry are the retry settings of a live change that meets a
// conflict (another writer changed the ConfigMap between read and write),
// as keikoproj/aws-auth offers them.
type awsAuthRetry struct {
	maxAttempts      int
	backoff, maximum time.Duration
}

func (r *awsAuthRetry) register(f *pflag.FlagSet) {
	d := kube.DefaultBackoff
	f.IntVar(&r.maxAttempts, "retry-max-attempts", d.Steps, "attempts of a live change that meets conflicting writers before it gives up")
	f.DurationVar(&r.backoff, "retry-backoff", d.Duration, "first wait after a conflict; each next one grows, with jitter")
	f.DurationVar(&r.maximum, "retry-max-backoff", d.Cap, "longest wait between two attempts")
}

// backoffFor checks the settings (a usage error, exit 2) and returns them
// as the ConfigMap's backoff.
//
// The zero value, from commands that read aws-auth without these flags
// (migrate, the pre-flight of cluster update-config), is the default.
func (r awsAuthRetry) backoffFor() (wait.Backoff, error) {
	switch {
	case r == awsAuthRetry{}:
		return kube.DefaultBackoff, nil
	case r.maxAttempts < 1:
		return wait.Backoff{}, withExitCode(2, fmt.Errorf("--retry-max-attempts %d: want at least 1", r.maxAttempts))
	case r.backoff <= 0:
		return wait.Backoff{}, withExitCode(2, fmt.Errorf("--retry-backoff %s: want a positive duration", r.backoff))
	case r.maximum < r.backoff:
		return wait.Backoff{}, withExitCode(2, fmt.Errorf("--retry-max-backoff %s: want at least --retry-backoff %s", r.maximum, r.backoff))
	}
	b := kube.DefaultBackoff
	b.Steps, b.Duration, b.Cap = r.maxAttempts, r.backoff, r.maximum
	return b, nil
}

// backupStamp is the time format of backup names: sortable, UTC.
const backupStamp = "20060102T150405Z"

// createBackup creates a new backup file in dir for a change made at now,
// never one that exists: writers in the same second (the same burst of
// edits) each keep the version they replaced, as
// aws-auth-backup-STAMP.yaml, then aws-auth-backup-STAMP-2.yaml, ...
func createBackup(dir string, now time.Time, data []byte) (string, error) {
	base := "aws-auth-backup-" + now.UTC().Format(backupStamp)
	for n := 1; n < 10000; n++ {
		name := base + ".yaml"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.yaml", base, n)
		}
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return "", err
		}
		return path, f.Close()
	}
	return "", fmt.Errorf("no free backup name %s-N.yaml in %s", base, dir)
}

// restoreArgs is the argument check of "aws-auth restore": one backup file,
// named in the error as the command's syntax has it.
func restoreArgs(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return withExitCode(2, fmt.Errorf("restore takes the backup file to put back, got %d arguments: kubeiam aws-auth restore BACKUP_FILE [-f FILE]", len(args)))
	}
	return nil
}

// warnNoGroups tells whoever maps a principal without groups that it will
// authenticate and be allowed nothing: RBAC binds groups and usernames,
// and a mapping without groups leaves only the username to bind.
func warnNoGroups(s IO, groups []string, appendGroups bool) {
	if len(groups) > 0 || appendGroups {
		return
	}
	fmt.Fprintln(s.Err, "warning: no --groups: the principal will authenticate but be allowed nothing until a RoleBinding or ClusterRoleBinding names its username; pass --groups to map it to groups that are bound")
}

package harness

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kubeiam/kubeiam/internal/lab/kubeapiserver"
)

// BuildKubeiam builds ./cmd/kubeiam into dir and returns the binary's path,
// for tests that need a kubeiam binary as the kubeconfigs' exec plugin. It
// must run inside the kubeiam source tree.
func BuildKubeiam(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "kubeiam")
	if _, err := run(ctx, "go", "build", "-o", out, "github.com/kubeiam/kubeiam/cmd/kubeiam"); err != nil {
		return "", err
	}
	return out, nil
}

// BuildTokenPlugin builds the slim exec plugin cmd/kubeiam-token into dir,
// next to the kubeiam BuildKubeiam builds, which it hands over to on a
// cache miss.
func BuildTokenPlugin(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "kubeiam-token")
	if _, err := run(ctx, "go", "build", "-o", out, "github.com/kubeiam/kubeiam/cmd/kubeiam-token"); err != nil {
		return "", err
	}
	return out, nil
}

// run runs a command and returns its standard output; its error includes
// standard error.
func run(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// KubeAPIServerEnv, when set, names the kube-apiserver binary to use instead
// of the cached build.
const KubeAPIServerEnv = kubeapiserver.Env

// KubeAPIServerPath returns where the kube-apiserver binary is expected:
// $KUBEIAM_KUBE_APISERVER, or the cache path of "kubeiam lab
// build-apiserver" ("make e2e-tools"). The binary may not exist; callers
// check. It works outside the source tree too; ctx is unused.
func KubeAPIServerPath(_ context.Context) (string, error) {
	return kubeapiserver.Path()
}

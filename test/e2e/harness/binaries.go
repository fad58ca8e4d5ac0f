package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// KubeAPIServerEnv, when set, names the kube-apiserver binary to use instead
// of the one hack/build-kube-apiserver.sh builds.
const KubeAPIServerEnv = "KUBEIAM_KUBE_APISERVER"

// KubeAPIServerPath returns where the kube-apiserver binary is expected:
// $KUBEIAM_KUBE_APISERVER, or the cache path hack/build-kube-apiserver.sh
// prints (the script is the one place that knows the version). The binary
// may not exist; callers check. It must run inside the kubeiam source tree.
func KubeAPIServerPath(ctx context.Context) (string, error) {
	if p := os.Getenv(KubeAPIServerEnv); p != "" {
		return p, nil
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	out, err := run(ctx, "bash", filepath.Join(root, "hack", "build-kube-apiserver.sh"), "--path")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// BuildKubeiam builds ./cmd/kubeiam into dir and returns the binary's path.
// It must run inside the kubeiam source tree.
func BuildKubeiam(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "kubeiam")
	if _, err := run(ctx, "go", "build", "-o", out, "github.com/kubeiam/kubeiam/cmd/kubeiam"); err != nil {
		return "", err
	}
	return out, nil
}

// moduleRoot is the directory of the kubeiam module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := run(ctx, "go", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(out)
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("harness: not inside the kubeiam module")
	}
	return filepath.Dir(gomod), nil
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

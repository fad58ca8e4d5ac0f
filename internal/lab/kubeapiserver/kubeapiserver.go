// Package kubeapiserver builds the kube-apiserver that "kubeiam lab" and the
// end-to-end tests run, from an embedded Go module, and caches it by version
// outside any source tree, so an installed kubeiam binary can build it too.
package kubeapiserver

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The module that builds kube-apiserver: it requires k8s.io/kubernetes and
// replaces each of its staging modules by the published twin. It is the only
// copy: "make e2e-tools" runs "kubeiam lab build-apiserver" too. The files
// are not named go.mod and go.sum on purpose: a go.mod would make this
// directory a module of its own, out of go:embed's reach.
var (
	//go:embed kubeapiserver.go.mod
	buildGoMod []byte
	//go:embed kubeapiserver.go.sum
	buildGoSum []byte
)

// Env, when set, names the kube-apiserver binary to use instead
// of the cached build.
const Env = "KUBEIAM_KUBE_APISERVER"

// kubernetesVersion matches the build module's requirement.
var kubernetesVersion = regexp.MustCompile(`(?m)^require k8s\.io/kubernetes (v(\d+)\.(\d+)\.\d+)$`)

// Version is the version of kube-apiserver the lab builds, from
// the embedded build module.
func Version() string {
	m := kubernetesVersion.FindSubmatch(buildGoMod)
	if m == nil {
		// The build module is embedded and checked by a test; a panic
		// here is a broken build, not a user error.
		panic("kubeapiserver: kubeapiserver.go.mod requires no k8s.io/kubernetes version")
	}
	return string(m[1])
}

// CachePath is where the built kube-apiserver is kept, keyed by
// version: $XDG_CACHE_HOME/kubeiam/kube-apiserver-VERSION, by default under
// ~/.cache. The binary may not exist.
func CachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("kube-apiserver cache: %w", err)
	}
	return filepath.Join(dir, "kubeiam", "kube-apiserver-"+Version()), nil
}

// Path is the kube-apiserver to run: $KUBEIAM_KUBE_APISERVER
// when set, else the cache path. The binary may not exist; callers check.
func Path() (string, error) {
	if p := os.Getenv(Env); p != "" {
		return p, nil
	}
	return CachePath()
}

// ErrNoGo means the Go toolchain, which builds kube-apiserver, is not on PATH.
var ErrNoGo = errors.New(`building kube-apiserver needs the Go toolchain, and "go" is not on PATH: ` +
	`install Go (https://go.dev/dl/), or pass --kube-apiserver with a kube-apiserver ` + "binary you have")

// BuildOptions configure Build.
type BuildOptions struct {
	// Progress receives the progress indicator; nil for none.
	Progress io.Writer
	// TTY makes the indicator redraw one line instead of printing lines.
	TTY bool
	// LookPath finds "go"; exec.LookPath when nil.
	LookPath func(string) (string, error)
}

// Build returns the cached kube-apiserver, building it first
// when it is missing. The build downloads k8s.io/kubernetes and its
// dependencies through the Go module proxy, takes about 5 minutes on two
// cores from an empty Go build cache, writes to a temporary file and renames
// it, so an interrupted or concurrent build never leaves a half-written
// binary behind.
func Build(ctx context.Context, o BuildOptions) (string, error) {
	out, err := CachePath()
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
		return out, nil
	}
	if o.LookPath == nil {
		o.LookPath = exec.LookPath
	}
	goBin, err := o.LookPath("go")
	if err != nil {
		return "", ErrNoGo
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return "", fmt.Errorf("kube-apiserver cache: %w", err)
	}
	p := newProgress(o.Progress, o.TTY, "building kube-apiserver "+Version()+" (about 5 minutes the first time, then cached in "+out+")")
	stop := p.run(time.Now)
	err = buildKubeAPIServer(ctx, goBin, out)
	stop(err)
	if err != nil {
		return "", err
	}
	return out, nil
}

// buildKubeAPIServer writes the build module to a temporary directory and
// runs go build there.
func buildKubeAPIServer(ctx context.Context, goBin, out string) error {
	moddir, err := os.MkdirTemp("", "kubeiam-kube-apiserver-build-")
	if err != nil {
		return fmt.Errorf("build kube-apiserver: %w", err)
	}
	defer os.RemoveAll(moddir)
	for name, data := range map[string][]byte{"go.mod": buildGoMod, "go.sum": buildGoSum} {
		if err := os.WriteFile(filepath.Join(moddir, name), data, 0o600); err != nil {
			return fmt.Errorf("build kube-apiserver: %w", err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".tmp.")
	if err != nil {
		return fmt.Errorf("build kube-apiserver: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, goBin, buildArgs(tmp.Name())...)
	cmd.Dir = moddir
	cmd.Env = buildEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build kube-apiserver: %w", ctx.Err())
		}
		return fmt.Errorf("build kube-apiserver: go %s: %w\n%s", strings.Join(cmd.Args[1:], " "), err, lastLines(stderr.String(), 30))
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return fmt.Errorf("build kube-apiserver: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("build kube-apiserver: %w", err)
	}
	return nil
}

// buildArgs are go build's arguments: a static, stripped binary that
// reports its real version (kube-apiserver's version package is set at link
// time, as upstream's release build does).
func buildArgs(out string) []string {
	m := kubernetesVersion.FindSubmatch(buildGoMod)
	version, major, minor := string(m[1]), string(m[2]), string(m[3])
	const pkg = "k8s.io/component-base/version."
	return []string{"build", "-trimpath",
		"-ldflags", "-s -w -X " + pkg + "gitVersion=" + version + " -X " + pkg + "gitMajor=" + major + " -X " + pkg + "gitMinor=" + minor,
		"-o", out, "k8s.io/kubernetes/cmd/kube-apiserver"}
}

// buildEnv is the caller's environment with the settings the build module
// needs: -mod=mod lets the go command complete go.sum (the module is never
// tidied: tidy wants test-only modules the proxy refuses), GOWORK=off keeps
// a go.work elsewhere out, and CGO_ENABLED=0 makes the binary static.
func buildEnv(environ []string) []string {
	env := make([]string, 0, len(environ)+3)
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOFLAGS", "GOWORK", "CGO_ENABLED":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
}

// lastLines returns the last n lines of s, for error messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

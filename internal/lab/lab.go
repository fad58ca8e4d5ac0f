// Package lab runs "kubeiam lab": a local Kubernetes control plane (etcd and
// kube-apiserver, built on first use) wired to an in-process kubeiam server
// with a local STS, plus kubeconfigs, AWS files and environment files for a
// cluster creator and an unmapped developer, and a printed exercise that
// reproduces and fixes the classic "You must be logged in to the server
// (Unauthorized)". The control plane itself is package harness, which the
// end-to-end tests use too.
package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/lab/kubeapiserver"
)

// Defaults of Options.
const (
	DefaultDir = ".kubeiam-lab"
	// ClusterID is the lab cluster's ID and name (KUBEIAM_CLUSTER).
	ClusterID = "kubeiam-lab"
)

// startTimeout bounds bringing the control plane up (not the build): it
// takes seconds; the bound turns a hang into an error.
const startTimeout = 3 * time.Minute

// Options configure Run.
type Options struct {
	// Dir holds every file and log (DefaultDir when empty). Its state from
	// a previous run is discarded: every lab starts with a fresh cluster.
	Dir string
	// KubeAPIServer is the kube-apiserver binary; when empty the cached
	// build is used, built first if missing (kubeapiserver.Build).
	KubeAPIServer string
	// Etcd is the etcd binary; etcd on PATH when empty.
	Etcd string
	// Kubeiam is the kubeiam binary; required. The kubeconfigs' exec
	// plugin is the kubeiam-token next to it, the fast form "kubeiam
	// kubeconfig" writes, which hands cache misses over to this kubeiam;
	// without one (a "go run" build) they run "Kubeiam token".
	Kubeiam string
	// Command is how the exercise spells kubeiam ("kubeiam" when empty).
	Command string
	// Out receives the exercise; Err the progress of the build and of the
	// start, and the kubeiam server's log.
	Out, Err io.Writer
	// TTY says Err is a terminal: the build's progress redraws in place.
	TTY bool
	// Ready, when set, is called once the exercise is printed.
	Ready func(*harness.Cluster)
}

// Run starts the lab, prints the exercise and blocks until ctx ends (Ctrl-C),
// then stops every process it started and waits for them to exit. A ctx
// ended during start-up is a stop, not an error.
func Run(ctx context.Context, o Options) (err error) {
	if o.Dir == "" {
		o.Dir = DefaultDir
	}
	if o.Command == "" {
		o.Command = "kubeiam"
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Err == nil {
		o.Err = io.Discard
	}
	if o.Kubeiam == "" {
		return errors.New("lab: no kubeiam binary for the kubeconfigs' exec plugin")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	etcd, apiserver, err := o.binaries(ctx)
	if err != nil {
		return stopped(ctx, err)
	}
	if err := harness.ResetDir(dir); err != nil {
		return err
	}
	fmt.Fprintf(o.Err, "%s: starting etcd, kube-apiserver and kubeiam in %s\n", logPrefix, dir)
	plugin := harness.TokenPluginNextTo(o.Kubeiam)
	if plugin == "" {
		fmt.Fprintf(o.Err, "%s: no %s next to %s; the kubeconfigs run %q instead, which is slower (go install ./cmd/... or make build installs both)\n",
			logPrefix, harness.TokenPluginName, o.Kubeiam, o.Kubeiam+" token")
	}
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	c, err := harness.Start(startCtx, harness.Options{
		Dir: dir, KubeAPIServer: apiserver, Etcd: etcd, Kubeiam: o.Kubeiam, TokenPlugin: plugin, ClusterID: ClusterID, Log: o.Err,
	})
	if err != nil {
		return stopped(ctx, fmt.Errorf("start the lab: %w", err))
	}
	defer func() {
		fmt.Fprintf(o.Err, "%s: stopping\n", logPrefix)
		if stopErr := c.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stop the lab: %w", stopErr))
			return
		}
		fmt.Fprintf(o.Err, "%s: stopped; the files stay in %s\n", logPrefix, dir)
	}()
	ex, err := writeExercise(c, o.Command)
	if err != nil {
		return err
	}
	ex.print(o.Out)
	if o.Ready != nil {
		o.Ready(c)
	}
	<-ctx.Done()
	return nil
}

// stopped turns an error caused by the user's Ctrl-C into a clean stop.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// binaries resolves etcd and kube-apiserver, building kube-apiserver when
// no binary was given and none is cached.
func (o Options) binaries(ctx context.Context) (etcd, apiserver string, err error) {
	etcd = o.Etcd
	if etcd == "" {
		if etcd, err = exec.LookPath("etcd"); err != nil {
			return "", "", errors.New("etcd is not on PATH: install it (Debian, Ubuntu: apt-get install etcd-server) or pass --etcd PATH")
		}
	} else if isMissing(etcd) {
		return "", "", fmt.Errorf("--etcd %s: no such file", etcd)
	}
	if o.KubeAPIServer != "" {
		if isMissing(o.KubeAPIServer) {
			return "", "", fmt.Errorf("--kube-apiserver %s: no such file", o.KubeAPIServer)
		}
		return etcd, o.KubeAPIServer, nil
	}
	apiserver, err = kubeapiserver.Build(ctx, kubeapiserver.BuildOptions{Progress: o.Err, TTY: o.TTY})
	return etcd, apiserver, err
}

// logPrefix starts the lab's own messages on Err.
const logPrefix = "kubeiam lab"

// isMissing reports whether path names no regular file.
func isMissing(path string) bool {
	st, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist) || (err == nil && !st.Mode().IsRegular())
}

// lockFile, in the lab's directory, is held for as long as the lab runs.
const lockFile = "lab.lock"

// lockDir takes an exclusive lock on dir, refusing a second lab there: two
// would reset each other's state. The lock is a flock, so a lab that dies
// without cleaning up leaves no stale lock behind.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		data, _ := io.ReadAll(io.LimitReader(f, 64))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			owner := ""
			if pid := strings.TrimSpace(string(data)); pid != "" {
				owner = " (pid " + pid + ")"
			}
			return nil, fmt.Errorf("another kubeiam lab is running on %s%s: stop it with Ctrl-C, or start this one elsewhere with --dir", dir, owner)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Best effort: the pid only makes the message above more helpful.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = f.Close()
	}, nil
}

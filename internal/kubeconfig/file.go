package kubeconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrLocked: another writer holds the kubeconfig's lock file.
var ErrLocked = errors.New("kubeconfig is locked")

// LockTimeout is how long Update waits for the lock.
const LockTimeout = 5 * time.Second

// Path returns the file to write: the first file of $KUBECONFIG, as
// kubectl config set-* writes new entries, else HOME/.kube/config.
func Path(getenv func(string) string) (string, error) {
	for _, p := range filepath.SplitList(getenv("KUBECONFIG")) {
		if p != "" {
			return p, nil
		}
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("no KUBECONFIG and no home directory: %w", err)
		}
	}
	return filepath.Join(home, ".kube", "config"), nil
}

// Update merges e into the kubeconfig at path (created when missing) and
// returns the resulting content. Unless dryRun it writes it: holding
// PATH.lock, the lock file client-go's clientcmd (kubectl config) creates
// exclusively around its own writes (loader.go, lockFile), and through a
// temporary file renamed over the old one, with the old file's mode (0600
// for a new file).
func Update(path string, e Entry, overwrite, dryRun bool) ([]byte, error) {
	if dryRun {
		cfg, _, err := load(path)
		if err != nil {
			return nil, err
		}
		if err := Merge(cfg, e, overwrite); err != nil {
			return nil, err
		}
		return clientcmd.Write(*cfg)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the kubeconfig directory: %w", err)
	}
	unlock, err := lock(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cfg, mode, err := load(path)
	if err != nil {
		return nil, err
	}
	if err := Merge(cfg, e, overwrite); err != nil {
		return nil, err
	}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding the kubeconfig: %w", err)
	}
	return b, writeAtomic(path, b, mode)
}

// load reads the kubeconfig, or an empty one when there is no file.
func load(path string) (*clientcmdapi.Config, fs.FileMode, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return clientcmdapi.NewConfig(), 0o600, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("reading kubeconfig %s: %w", path, err)
	}
	return cfg, fi.Mode().Perm(), nil
}

func lock(path string) (func(), error) {
	name := path + ".lock"
	deadline := time.Now().Add(LockTimeout)
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { _ = os.Remove(name) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("locking kubeconfig: %w", err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s exists (kubectl or kubeiam is writing it); if neither is running, remove it", ErrLocked, name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeAtomic(path string, b []byte, mode fs.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if _, err = tmp.Write(b); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing kubeconfig: %w", err)
	}
	return nil
}

package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/config"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/bolt"
)

// Files under the state directory.
const (
	storeFile          = "kubeiam.db"
	bindingKeyFile     = "binding.key"
	tlsDir             = "tls"
	authnKubeconfig    = "authn-webhook.kubeconfig"
	authzKubeconfig    = "authz-webhook.kubeconfig"
	auditLogFile       = "audit.log"
	storeLockTimeout   = time.Second
	bindingKeyByteSize = 32
)

// openStore opens the embedded store in dir, saying clearly when another
// kubeiam process holds it.
func openStore(dir string) (*store.Store, error) {
	b, err := bolt.Open(filepath.Join(dir, storeFile), storeLockTimeout)
	if err != nil {
		return nil, fmt.Errorf("state directory %s is in use by another kubeiam server, or unreadable: %w", dir, err)
	}
	s, err := store.Open(b)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	return s, nil
}

// FirstStart reports whether a server with cfg would create its cluster
// because its embedded store does not exist yet, so that the caller can ask
// for what only a first start needs (the cluster creator) before anything
// is written. With the kubernetes store it cannot tell without the API and
// reports false.
func FirstStart(cfg config.Server) bool {
	if cfg.Store.Type == config.StoreKubernetes {
		return false
	}
	_, err := os.Stat(filepath.Join(cfg.StateDir, storeFile))
	return errors.Is(err, fs.ErrNotExist)
}

// ensureCluster stores the cluster's access configuration on first start.
// Later starts keep what is stored: the mode changes only through the API,
// and only forwards. It returns the configuration in force.
func ensureCluster(s store.Port, cfg config.Server, now time.Time) (access.ClusterConfig, bool, error) {
	c, err := s.GetCluster()
	if err == nil {
		return c, false, nil
	}
	if access.TypeOf(err) != access.ResourceNotFoundException {
		return c, false, fmt.Errorf("read cluster configuration: %w", err)
	}
	if cfg.ClusterCreatorARN == "" {
		return c, false, errors.New("clusterCreatorARN: required to create the cluster: the IAM user or role that administers it")
	}
	mode, err := access.ParseMode(cfg.AuthenticationMode)
	if err != nil {
		return c, false, fmt.Errorf("authenticationMode: %w", err)
	}
	account := cfg.AccountID
	if account == "" {
		account = "000000000000"
	}
	c = access.ClusterConfig{
		Name: cfg.ClusterID, Region: cfg.Region, AccountID: account,
		AuthenticationMode: mode, BootstrapClusterCreatorAdminPermissions: cfg.BootstrapCreator(),
		CreatorARN: cfg.ClusterCreatorARN, CreatedAt: now,
	}
	// In an API mode the creator's entry is written with the configuration
	// (one transaction in the embedded store; entry first in the
	// kubernetes store), and a creator entry that exists is kept: a start
	// interrupted between two writes, or several replicas starting at once,
	// end in the same state.
	if mode.UsesAccessEntries() && c.BootstrapClusterCreatorAdminPermissions && c.CreatorARN != "" {
		e, a, err := access.BootstrapCreatorEntry(c, now)
		if err != nil {
			return c, false, fmt.Errorf("bootstrap creator access entry: %w", err)
		}
		c, err = s.PutClusterWithEntry(c, 0, e, a)
		if err != nil {
			return c, false, fmt.Errorf("store cluster configuration: %w", err)
		}
		return c, true, nil
	}
	c, err = s.PutCluster(c, 0)
	if err != nil {
		return c, false, fmt.Errorf("store cluster configuration: %w", err)
	}
	return c, true, nil
}

// creatorMismatch reports a configured creator that differs from the stored
// one, which is kept.
func creatorMismatch(stored access.ClusterConfig, configured string) bool {
	if configured == "" {
		return false
	}
	a, err1 := arn.Key(stored.CreatorARN)
	b, err2 := arn.Key(configured)
	return err1 == nil && err2 == nil && a != b
}

// bindingKey reads the binding key from dir, creating it only when it is
// missing. A key that is unreadable or of the wrong size stops the server:
// replacing it silently would hide a broken or tampered state directory.
func bindingKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, bindingKeyFile)
	key, err := os.ReadFile(path)
	switch {
	case err == nil && len(key) == bindingKeyByteSize:
		return key, nil
	case err == nil:
		return nil, fmt.Errorf("binding key %s is corrupt (%d bytes, want %d): restore it from a backup, or delete it "+
			"to generate a new one (users then need a fresh token for their access policies to apply)", path, len(key), bindingKeyByteSize)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read binding key: %w", err)
	}
	key = make([]byte, bindingKeyByteSize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate binding key: %w", err)
	}
	if err := createFile(path, key); err != nil {
		return nil, fmt.Errorf("write binding key: %w", err)
	}
	return key, nil
}

// createFile writes data to a new file at path (mode 0600) so that a crash
// never leaves a partial file under that name: the data is synced in a
// temporary file, which is then linked to path, failing if path exists.
func createFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// ensureDir creates dir with mode 0700 when missing.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return nil
}

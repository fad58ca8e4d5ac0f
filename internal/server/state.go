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
		AuthenticationMode: mode, BootstrapClusterCreatorAdminPermissions: true,
		CreatorARN: cfg.ClusterCreatorARN, CreatedAt: now,
	}
	// The creator's entry is written before the configuration that puts
	// the cluster in an API mode, and a creator entry that exists is kept:
	// a start interrupted between the two writes, or several replicas
	// starting at once, end in the same state.
	if mode.UsesAccessEntries() && c.CreatorARN != "" {
		e, a, err := access.BootstrapCreatorEntry(c, now)
		if err != nil {
			return c, false, fmt.Errorf("bootstrap creator access entry: %w", err)
		}
		if err := s.CreateEntry(e, a); err != nil && access.TypeOf(err) != access.ResourceInUseException {
			return c, false, fmt.Errorf("bootstrap creator access entry: %w", err)
		}
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

// bindingKey reads the binding key from dir, creating it on first start.
func bindingKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, bindingKeyFile)
	key, err := os.ReadFile(path)
	if err == nil && len(key) == bindingKeyByteSize {
		return key, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read binding key: %w", err)
	}
	key = make([]byte, bindingKeyByteSize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate binding key: %w", err)
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write binding key: %w", err)
	}
	return key, nil
}

// ensureDir creates dir with mode 0700 when missing.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return nil
}

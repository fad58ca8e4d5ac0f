package bolt_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/bolt"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

func open(t *testing.T, path string) *bolt.Backend {
	t.Helper()
	b, err := bolt.Open(path, 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return b
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Backend {
		return open(t, filepath.Join(t.TempDir(), "kubeiam.db"))
	})
}

func TestPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeiam.db")
	s, err := store.Open(open(t, path))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.PutCluster(storetest.Config(), 0)
	if err != nil {
		t.Fatal(err)
	}
	entry, assoc, err := access.BootstrapCreatorEntry(cfg, storetest.T0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEntry(entry, assoc); err != nil {
		t.Fatal(err)
	}
	before, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = store.Open(open(t, path))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("after reopen:\n%+v\nbefore:\n%+v", after, before)
	}
	if s.Generation() != before.Generation || before.Generation == 0 {
		t.Fatalf("generation %d after reopen, %d before", s.Generation(), before.Generation)
	}
	_, grants, ok := after.Lookup(mustParse(t, "arn:aws:sts::111122223333:assumed-role/Creator/x"))
	if !ok || len(grants) != 1 || grants[0].PolicyARN != authz.ClusterAdminPolicyARN {
		t.Fatalf("creator lookup after reopen: %+v, %v", grants, ok)
	}
}

func TestSecondOpenIsRefusedWhileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeiam.db")
	first := open(t, path)
	defer first.Close()
	// bbolt's flock is per open file description, so a second Open in the
	// same process contends like another process would.
	_, err := bolt.Open(path, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "store is locked by another kubeiam process ("+path+")") {
		t.Fatalf("second Open = %v, want the locked error naming the path", err)
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeiam.db")
	b := open(t, path)
	defer b.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestRefusesOtherSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeiam.db")
	b := open(t, path)
	if err := b.Update(func(tx store.Tx) error { return tx.Put("meta", "schema", []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := store.Open(b); !errors.Is(err, store.ErrSchema) {
		t.Fatalf("Open over schema 99 = %v, want ErrSchema", err)
	}
}

func TestOpenReportsBadPath(t *testing.T) {
	_, err := bolt.Open(filepath.Join(t.TempDir(), "missing", "kubeiam.db"), 0)
	if err == nil || !strings.Contains(err.Error(), "open store") {
		t.Fatalf("Open in a missing directory = %v", err)
	}
}

func mustParse(t *testing.T, s string) arn.Principal {
	t.Helper()
	p, err := arn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

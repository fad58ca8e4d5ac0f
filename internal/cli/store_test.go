package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/bolt"
	"github.com/kubeiam/kubeiam/internal/store/storetest"
)

// boltWith writes a store file with the suite's cluster, its creator's
// entry and one more entry, and closes it.
func boltWith(t *testing.T, path string) {
	t.Helper()
	b, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := storetest.Config()
	e, a, err := access.BootstrapCreatorEntry(cfg, storetest.T0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEntry(e, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEntry(storetest.Entry(t, storetest.RoleARN("Dev"), "devs")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutCluster(cfg, 0); err != nil {
		t.Fatal(err)
	}
}

func TestStoreCopyIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	boltWith(t, src)
	code, out, errOut := runCLI(t, "store", "copy", "--from", "bolt:"+src, "--to", "bolt:"+dst)
	if code != 0 || !strings.Contains(out, "access entries: 2 created, 0 already present") || !strings.Contains(out, "cluster configuration: created") {
		t.Fatalf("first copy: exit %d, %q, %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "store", "copy", "--from", "bolt:"+src, "--to", "bolt:"+dst)
	if code != 0 || !strings.Contains(out, "access entries: 0 created, 2 already present") || !strings.Contains(out, "cluster configuration: present") {
		t.Fatalf("second copy: exit %d, %q, %q", code, out, errOut)
	}
}

func TestStoreCopyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"store", "copy", "--to", "kubernetes"},
		{"store", "copy", "--from", "etcd:/x", "--to", "kubernetes"},
		{"store", "copy", "--from", "bolt:", "--to", "kubernetes"},
		{"store"},
	} {
		if code, _, errOut := runCLI(t, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

func TestAccessEntryExportFromBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeiam.db")
	boltWith(t, path)
	code, out, errOut := runCLI(t, "access-entry", "export", "--from", "bolt:"+path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"kind: AccessConfig\nmetadata:\n  name: cluster\n",
		"authenticationMode: API_AND_CONFIG_MAP",
		"kind: AccessEntry\nmetadata:\n  name: role-111122223333-creator-",
		"policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
		"principalArn: arn:aws:iam::111122223333:role/Dev",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n---\n"); n != 3 {
		t.Errorf("%d documents, want 3", n)
	}
}

func TestAccessEntryName(t *testing.T) {
	code, out, _ := runCLI(t, "access-entry", "name", "--principal-arn", "arn:aws:iam::111122223333:role/team/Dev")
	if code != 0 || out != "role-111122223333-dev-f98916774becaf5d\n" {
		t.Fatalf("exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"access-entry", "name"}, {"access-entry", "name", "--principal-arn", "arn:aws:iam::111122223333:root"}} {
		if code, _, errOut := runCLI(t, args...); code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, %q; want 2", args, code, errOut)
		}
	}
}

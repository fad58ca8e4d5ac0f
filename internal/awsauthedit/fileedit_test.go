package awsauthedit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func addKey(k string) func(*File) (bool, error) {
	return func(f *File) (bool, error) {
		d := f.Data()
		d[k] = "[]"
		f.SetData(d)
		return true, nil
	}
}

func newTestFile() *File { return NewManifestFile("kube-system", "aws-auth") }

// Issue 10 item 10: 20 parallel edits of one file kept 7. Each edit reads
// under the lock, so every one survives.
func TestUpdateFileConcurrentEditsAllSurvive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- UpdateFile(path, newTestFile, addKey(fmt.Sprintf("k%02d", i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Data()); got != n {
		t.Fatalf("%d of %d edits survived:\n%s", got, n, b)
	}
}

func TestUpdateFileKeepsModeAndFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte("mapRoles: '[]'\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(real, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "aws-auth.yaml")
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := UpdateFile(link, newTestFile, addKey("mapUsers")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi.Mode(), err)
	}
	fi, err = os.Stat(real)
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640 kept (%v)", fi.Mode().Perm(), err)
	}
	b, _ := os.ReadFile(real)
	if f, err := ParseFile(b); err != nil || len(f.Data()) != 2 {
		t.Fatalf("edit lost: %s %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".tmp" {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestUpdateFileNewFileAndNoChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	if err := UpdateFile(path, newTestFile, func(*File) (bool, error) { return false, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no change must write nothing: %v", err)
	}
	boom := errors.New("boom")
	if err := UpdateFile(path, newTestFile, func(*File) (bool, error) { return true, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if err := UpdateFile(path, newTestFile, addKey("mapRoles")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != newFileMode {
		t.Fatalf("new file: %v %v", fi, err)
	}
}

// A path that is not an aws-auth file (/dev/zero, a disk image) is refused
// at MaxFileSize instead of read into memory whole; the edit never runs.
func TestUpdateFileRefusesAFileLargerThanMaxFileSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, MaxFileSize+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("ReadFile of %d bytes: %v; want refused as larger than %d", MaxFileSize+1, err, MaxFileSize)
	}
	edited := false
	err := UpdateFile(path, newTestFile, func(*File) (bool, error) { edited = true; return true, nil })
	if err == nil || !strings.Contains(err.Error(), "larger than") || edited {
		t.Fatalf("UpdateFile: %v, edit run: %v; want refused as larger than %d before the edit", err, edited, MaxFileSize)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file: %v; want fs.ErrNotExist", err)
	}
}

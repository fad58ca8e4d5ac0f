package awsauthsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bareFile and manifestFile render the two accepted file layouts.
func bareFile(roles string) string {
	return "mapRoles: |\n" + indent(roles)
}

func manifestFile(roles, users string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n" +
		"  mapRoles: |\n" + indent(indent(roles)) + "  mapUsers: |\n" + indent(indent(users))
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}

func fileVersion(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256:" + hex.EncodeToString(sum[:8])
}

func newTestFileSource(t *testing.T, path string) (*FileSource, *recorder, *logCapture) {
	t.Helper()
	rec, logs := &recorder{}, newLogCapture()
	s, err := NewFileSource(path, rec.sink, FileOptions{Interval: 5 * time.Millisecond, Logger: slog.New(logs), Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	return s, rec, logs
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFileSourceLifecycle drives one file through every kind of change,
// calling poll directly so that each step is deterministic.
func TestFileSourceLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, rec, logs := newTestFileSource(t, path)
	source := "file " + path

	// Initial load, bare data map.
	v1 := bareFile(rolesAdmin)
	write(t, path, v1)
	s.poll()
	if u := rec.last(t); u.Doc == nil || len(u.Doc.Roles) != 1 || u.Version != fileVersion(v1) {
		t.Fatalf("initial update = %+v", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 1, lastVersion: fileVersion(v1)})
	if got := s.Status().Source; got != source {
		t.Errorf("Source = %q, want %q", got, source)
	}

	// Good update, as a ConfigMap manifest.
	v2 := manifestFile(rolesAdmin, usersAlice)
	write(t, path, v2)
	s.poll()
	if u := rec.last(t); u.Doc == nil || len(u.Doc.Users) != 1 || u.Version != fileVersion(v2) {
		t.Fatalf("second update = %+v", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 2, lastVersion: fileVersion(v2)})

	// Unchanged content is not processed again.
	s.poll()
	if n := len(rec.all()); n != 2 {
		t.Fatalf("%d updates after an unchanged poll, want 2", n)
	}

	// Malformed YAML is kept out; the last good version stays in force.
	bad := bareFile(badYAML)
	write(t, path, bad)
	s.poll()
	s.poll() // the same bad content is not counted twice
	if n := len(rec.all()); n != 2 {
		t.Fatalf("sink called for malformed YAML (%d updates)", n)
	}
	checkStatus(t, s.Status(), statusCheck{errors: 1, reloads: 2, lastVersion: fileVersion(v2),
		errorContains: "version " + fileVersion(bad) + ": aws-auth mapRoles line "})
	rejected := logs.find("aws-auth rejected")
	if len(rejected) != 1 {
		t.Fatalf("%d 'aws-auth rejected' logs, want 1", len(rejected))
	}
	if r := rejected[0]; r.level != slog.LevelError || r.attrs["source"] != source ||
		r.attrs["version"] != fileVersion(bad) || r.attrs["error"] == "" {
		t.Errorf("rejection log = %+v", r)
	}

	// A document with error-severity problems is kept out as a whole.
	invalid := bareFile(rolesAdmin + badARN)
	write(t, path, invalid)
	s.poll()
	if n := len(rec.all()); n != 2 {
		t.Fatalf("sink called for a document with errors (%d updates)", n)
	}
	checkStatus(t, s.Status(), statusCheck{errors: 2, reloads: 2, lastVersion: fileVersion(v2), errorContains: "invalid-arn"})
	if !strings.Contains(s.Status().LastError, ErrInvalid.Error()) {
		t.Errorf("LastError %q does not say %q", s.Status().LastError, ErrInvalid)
	}

	// Recovery.
	write(t, path, v1)
	s.poll()
	if u := rec.last(t); u.Version != fileVersion(v1) {
		t.Fatalf("recovery update = %+v", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 3, errors: 2, lastVersion: fileVersion(v1)})

	// Deletion: one missing poll is tolerated, two deliver the empty mapping.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.poll()
	if n := len(rec.all()); n != 3 {
		t.Fatalf("deletion delivered after a single missing poll (%d updates)", n)
	}
	s.poll()
	if u := rec.last(t); u.Doc != nil || u.Version != "" {
		t.Fatalf("deletion update = %+v, want the empty mapping", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, deleted: true, reloads: 4, errors: 2})
	if w := logs.find("aws-auth deleted; mapping is now empty"); len(w) != 1 || w[0].level != slog.LevelWarn {
		t.Errorf("deletion logs = %+v, want one WARN", w)
	}
	s.poll()
	if n := len(rec.all()); n != 4 {
		t.Fatalf("deletion delivered twice (%d updates)", n)
	}

	// Recreation.
	write(t, path, v2)
	s.poll()
	if u := rec.last(t); u.Doc == nil || u.Version != fileVersion(v2) {
		t.Fatalf("recreation update = %+v", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 5, errors: 2, lastVersion: fileVersion(v2)})
}

func TestFileSourceMissingAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, rec, logs := newTestFileSource(t, path)
	s.poll()
	s.poll()
	if n := len(rec.all()); n != 0 {
		t.Fatalf("sink called %d times for a missing file", n)
	}
	checkStatus(t, s.Status(), statusCheck{errors: 1, errorContains: path})
	if got := logs.find("aws-auth unreadable"); len(got) != 1 {
		t.Errorf("%d 'aws-auth unreadable' logs, want 1", len(got))
	}
	write(t, path, bareFile(rolesAdmin))
	s.poll()
	if u := rec.last(t); u.Doc == nil {
		t.Fatalf("update = %+v", u)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 1, errors: 1, lastVersion: fileVersion(bareFile(rolesAdmin))})
}

// TestFileSourceReplacedByRemoveAndWrite covers an editor that removes the
// file and writes it again between two polls.
func TestFileSourceReplacedByRemoveAndWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, rec, _ := newTestFileSource(t, path)
	write(t, path, bareFile(rolesAdmin))
	s.poll()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.poll()
	write(t, path, bareFile(rolesAdmin))
	s.poll()
	s.poll()
	if n := len(rec.all()); n != 1 {
		t.Errorf("%d updates, want only the initial one", n)
	}
	checkStatus(t, s.Status(), statusCheck{healthy: true, reloads: 1, lastVersion: fileVersion(bareFile(rolesAdmin))})
}

// TestFileSourceFollowsSymlinkSwap mimics a ConfigMap mounted as a volume,
// whose kubelet swaps a ..data symlink.
func TestFileSourceFollowsSymlinkSwap(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"v1": bareFile(rolesAdmin), "v2": manifestFile(rolesAdmin, usersAlice)} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name, "aws-auth.yaml"), content)
	}
	link := filepath.Join(dir, "..data")
	if err := os.Symlink("v1", link); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "aws-auth.yaml")
	if err := os.Symlink(filepath.Join("..data", "aws-auth.yaml"), path); err != nil {
		t.Fatal(err)
	}
	s, rec, _ := newTestFileSource(t, path)
	s.poll()
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink("v2", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	s.poll()
	if all := rec.all(); len(all) != 2 || all[1].Doc == nil || len(all[1].Doc.Users) != 1 {
		t.Fatalf("updates = %+v, want the swapped version", all)
	}
}

func TestFileSourceUnreadableKeepsLastGood(t *testing.T) {
	tests := []struct {
		name    string
		replace func(t *testing.T, path string)
		wantErr string
	}{
		{name: "path is now a directory", wantErr: "is a directory", replace: func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "file too large", wantErr: "larger than", replace: func(t *testing.T, path string) {
			write(t, path, strings.Repeat("#", maxFileSize+1))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "aws-auth.yaml")
			s, rec, _ := newTestFileSource(t, path)
			write(t, path, bareFile(rolesAdmin))
			s.poll()
			tc.replace(t, path)
			s.poll()
			if n := len(rec.all()); n != 1 {
				t.Fatalf("%d updates, want only the initial one", n)
			}
			checkStatus(t, s.Status(), statusCheck{reloads: 1, errors: 1,
				lastVersion: fileVersion(bareFile(rolesAdmin)), errorContains: tc.wantErr})
		})
	}
}

func TestFileSourceRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	write(t, path, bareFile(rolesAdmin))
	s, rec, _ := newTestFileSource(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	waitFor(t, "initial sync", s.HasSynced)
	if n := len(rec.all()); n != 1 {
		t.Fatalf("%d updates after sync, want 1", n)
	}
	if err := s.Run(ctx); !errors.Is(err, ErrAlreadyRunning) {
		t.Errorf("second Run = %v, want ErrAlreadyRunning", err)
	}
	write(t, path, manifestFile(rolesAdmin, usersAlice))
	waitFor(t, "the change to be polled", func() bool { return len(rec.all()) == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestNewFileSourceValidates(t *testing.T) {
	if _, err := NewFileSource("", (&recorder{}).sink, FileOptions{}); err == nil {
		t.Error("empty path accepted")
	}
	if _, err := NewFileSource("x", nil, FileOptions{}); !errors.Is(err, ErrNoSink) {
		t.Errorf("nil sink: err = %v, want ErrNoSink", err)
	}
	s, err := NewFileSource("x", (&recorder{}).sink, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.interval != DefaultFileInterval {
		t.Errorf("interval = %v, want %v", s.interval, DefaultFileInterval)
	}
	if s.HasSynced() || s.Status().Healthy {
		t.Error("a source that never ran reports synced or healthy")
	}
}

func TestDecodeFile(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantKeys []string
		wantErr  string
	}{
		{name: "bare data map", content: bareFile(rolesAdmin), wantKeys: []string{"mapRoles"}},
		{name: "ConfigMap manifest", content: manifestFile(rolesAdmin, usersAlice), wantKeys: []string{"mapRoles", "mapUsers"}},
		{name: "ConfigMap manifest as JSON", content: `{"apiVersion":"v1","kind":"ConfigMap","data":{"mapRoles":"[]"}}`,
			wantKeys: []string{"mapRoles"}},
		{name: "manifest without data", content: "apiVersion: v1\nkind: ConfigMap\n"},
		{name: "explicitly empty map", content: "{}\n"},
		{name: "empty file", content: " \n", wantErr: "empty"},
		{name: "other kind", content: "apiVersion: v1\nkind: Secret\ndata: {}\n", wantErr: "want v1 ConfigMap"},
		{name: "other apiVersion", content: "apiVersion: v2\nkind: ConfigMap\n", wantErr: "want v1 ConfigMap"},
		{name: "top-level list", content: "- a\n- b\n", wantErr: "decode"},
		{name: "mapRoles as a list, not a string", content: "mapRoles:\n- rolearn: x\n", wantErr: "must be strings"},
		{name: "syntax error", content: "mapRoles: [\n", wantErr: "decode"},
		// Issue 10 item 8: the last mapRoles silently won.
		{name: "duplicate data key", content: "mapRoles: '[]'\nmapRoles: '[]'\n", wantErr: `line 2: key "mapRoles" given twice (first on line 1)`},
		{name: "duplicate key in a manifest's data", content: "apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles: '[]'\n  mapUsers: '[]'\n  mapRoles: '[]'\n",
			wantErr: `line 6: key "mapRoles" given twice (first on line 4)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := decodeFile([]byte(tc.content))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != len(tc.wantKeys) {
				t.Fatalf("data = %v, want keys %v", data, tc.wantKeys)
			}
			for _, k := range tc.wantKeys {
				if _, ok := data[k]; !ok {
					t.Errorf("key %q missing from %v", k, data)
				}
			}
		})
	}
}

// A rejected version is kept in Status, with its content and error, so
// that explain and whoami can point at the line; a good version clears it.
func TestFileSourceKeepsTheRejectedVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, _, _ := newTestFileSource(t, path)
	write(t, path, bareFile(rolesAdmin))
	s.poll()
	if r := s.Status().Rejected; r != nil {
		t.Fatalf("Rejected = %+v before any rejection", r)
	}
	for _, bad := range []string{bareFile(badYAML), bareFile(rolesAdmin + badARN)} {
		write(t, path, bad)
		s.poll()
		r := s.Status().Rejected
		if r == nil || r.Version != fileVersion(bad) || r.Text != bad || r.Error == "" || !strings.Contains(s.Status().LastError, r.Error) {
			t.Fatalf("Rejected = %+v, want version %s with its text and error", r, fileVersion(bad))
		}
	}
	write(t, path, bareFile(rolesAdmin))
	s.poll()
	if r := s.Status().Rejected; r != nil {
		t.Errorf("Rejected = %+v after a good version", r)
	}
}

// TestFileSourceRejectedTextOfAChangedFile: the content of a version that
// parsed but was rejected is read again for Rejected.Text (it is not held
// while parsing); when the file changed in between, Text is empty rather
// than another version's.
func TestFileSourceRejectedTextOfAChangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, _, _ := newTestFileSource(t, path)
	bad := bareFile(rolesAdmin + badARN)
	write(t, path, bad)
	read := s.read
	s.read = func(path string) ([]byte, fileStat, error) {
		content, st, err := read(path)
		write(t, path, bareFile(rolesAdmin)) // the next read sees another version
		return content, st, err
	}
	s.poll()
	r := s.Status().Rejected
	if r == nil || r.Version != fileVersion(bad) || r.Text != "" || r.Error == "" {
		t.Fatalf("Rejected = %+v, want version %s without text", r, fileVersion(bad))
	}
}

// countReads makes s count its reads of the file.
func countReads(s *FileSource) *int {
	n := new(int)
	read := s.read
	s.read = func(path string) ([]byte, fileStat, error) {
		*n++
		return read(path)
	}
	return n
}

// TestFileSourcePollOfUnchangedFileOnlyStats: once a file is read, polls
// that find its stat unchanged do not read it again; any write, even one
// that keeps the size and sets the modification time back, is read (the
// change time moves).
func TestFileSourcePollOfUnchangedFileOnlyStats(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, rec, _ := newTestFileSource(t, path)
	reads := countReads(s)
	old := time.Now().Add(-time.Hour)
	v1 := bareFile(rolesAdmin)
	write(t, path, v1)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		s.poll()
	}
	if *reads != 1 || len(rec.all()) != 1 {
		t.Fatalf("5 polls of an unchanged file: %d reads, %d updates; want 1, 1", *reads, len(rec.all()))
	}
	// Same size, same modification time, different content.
	v2 := strings.Replace(v1, "admin", "admiN", 1)
	if len(v2) != len(v1) || v2 == v1 {
		t.Fatalf("test content: want the same length, different text")
	}
	write(t, path, v2)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	s.poll()
	if *reads != 2 || rec.last(t).Version != fileVersion(v2) {
		t.Fatalf("after a same-size write: %d reads, version %s; want 2, %s", *reads, rec.last(t).Version, fileVersion(v2))
	}
}

// TestFileSourceRereadsARecentlyModifiedFile: a file modified within
// racyWindow of its read is read again (its times cannot tell two writes in
// one tick apart), but an unchanged content is not delivered again.
func TestFileSourceRereadsARecentlyModifiedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aws-auth.yaml")
	s, rec, _ := newTestFileSource(t, path)
	reads := countReads(s)
	write(t, path, bareFile(rolesAdmin)) // modified now
	s.poll()
	s.poll()
	if *reads != 2 || len(rec.all()) != 1 {
		t.Fatalf("2 polls of a just-written file: %d reads, %d updates; want 2, 1", *reads, len(rec.all()))
	}
}

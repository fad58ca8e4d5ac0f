package tokencache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// clock is a settable fake clock, safe for concurrent reads.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// warnings collects what the cache warns about.
type warnings struct {
	mu   sync.Mutex
	errs []error
}

func (w *warnings) add(err error) { w.mu.Lock(); defer w.mu.Unlock(); w.errs = append(w.errs, err) }
func (w *warnings) has(target error) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.errs {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

func open(t *testing.T, dir string, c *clock, opts ...Option) (*Cache, *warnings) {
	t.Helper()
	w := &warnings{}
	cache, err := Open(dir, c.Now, append([]Option{WithWarnings(w.add)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return cache, w
}

// privateDir returns a fresh directory the cache accepts (t.TempDir is 0755).
func privateDir(t *testing.T) string { return filepath.Join(t.TempDir(), "kubeiam") }

func tok(v string, exp time.Time) Token { return Token{Value: v, Expiration: exp} }

func TestGetReturnsATokenUntilAMinuteBeforeItExpires(t *testing.T) {
	c := &clock{now: t0}
	cache, w := open(t, filepath.Join(t.TempDir(), "kubeiam"), c)
	exp := t0.Add(14 * time.Minute)
	if _, ok := cache.Get("k"); ok {
		t.Fatal("hit in an empty cache")
	}
	if err := cache.Put("k", tok("tok-1", exp)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	tests := []struct {
		name string
		now  time.Time
		hit  bool
	}{
		{name: "just written", now: t0, hit: true},
		{name: "a second before the reuse window closes", now: exp.Add(-ReuseMargin - time.Second), hit: true},
		{name: "a minute before expiry", now: exp.Add(-ReuseMargin), hit: false},
		{name: "expired", now: exp.Add(time.Hour), hit: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.Set(tt.now)
			got, ok := cache.Get("k")
			if ok != tt.hit {
				t.Fatalf("hit = %v, want %v", ok, tt.hit)
			}
			if ok && (got.Value != "tok-1" || !got.Expiration.Equal(exp)) {
				t.Errorf("Get = %+v", got)
			}
		})
	}
	if _, ok := cache.Get("other"); ok {
		t.Error("hit for another key")
	}
	if len(w.errs) != 0 {
		t.Errorf("warnings: %v", w.errs)
	}
}

func TestPutPrunesEntriesPastTheirReuseWindow(t *testing.T) {
	c := &clock{now: t0}
	dir := privateDir(t)
	cache, _ := open(t, dir, c)
	for i := range 3 {
		if err := cache.Put(fmt.Sprint("old", i), tok("t", t0.Add(5*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	c.Set(t0.Add(10 * time.Minute))
	if err := cache.Put("new", tok("t", c.Now().Add(14*time.Minute))); err != nil {
		t.Fatal(err)
	}
	entries, err := cache.read()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries["new"].Value == "" {
		t.Errorf("entries after pruning = %v, want only %q", entries, "new")
	}
}

func TestCacheFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "kubeiam")
	cache, _ := open(t, dir, &clock{now: t0})
	if err := cache.Put("k", tok("t", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600, filepath.Join(dir, LockFileName): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s mode %#o, want at most %#o", path, got, want)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestOpenRefusesADirectoryOthersCanRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, (&clock{now: t0}).Now); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Open = %v, want ErrUnsafe", err)
	}
}

func TestAnUnsafeFileIsNeitherReadNorWritten(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, file string)
	}{
		{name: "group readable", spoil: func(t *testing.T, file string) { chmod(t, file, 0o640) }},
		{name: "world readable", spoil: func(t *testing.T, file string) { chmod(t, file, 0o604) }},
		{name: "a symbolic link", spoil: func(t *testing.T, file string) {
			target := filepath.Join(t.TempDir(), "elsewhere.json")
			if err := os.Rename(file, target); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, file); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "owned by someone else", spoil: func(t *testing.T, file string) {
			if os.Getuid() != 0 {
				t.Skip("changing a file's owner needs root")
			}
			if err := os.Chown(file, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := privateDir(t)
			cache, w := open(t, dir, &clock{now: t0})
			if err := cache.Put("k", tok("t", t0.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, FileName)
			tt.spoil(t, file)
			before, _ := os.ReadFile(file)
			if _, ok := cache.Get("k"); ok {
				t.Error("hit from an unsafe file")
			}
			if !w.has(ErrUnsafe) {
				t.Errorf("warnings %v, want ErrUnsafe", w.errs)
			}
			if err := cache.Put("k2", tok("t", t0.Add(time.Hour))); !errors.Is(err, ErrUnsafe) {
				t.Errorf("Put = %v, want ErrUnsafe", err)
			}
			if after, _ := os.ReadFile(file); string(after) != string(before) {
				t.Error("unsafe file was rewritten")
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestACorruptFileIsAMissAndIsReplaced(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":        "{\"version\":1,\"tok",
		"another version": `{"version":99,"tokens":{}}`,
		"wrong shape":     `{"version":1,"tokens":["a"]}`,
		"empty":           "",
		"binary":          "\x00\xff\xfe",
	} {
		t.Run(name, func(t *testing.T) {
			dir := privateDir(t)
			cache, w := open(t, dir, &clock{now: t0})
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, ok := cache.Get("k"); ok {
				t.Fatal("hit from a corrupt file")
			}
			if !w.has(ErrCorrupt) {
				t.Errorf("warnings %v, want ErrCorrupt", w.errs)
			}
			if err := cache.Put("k", tok("fresh", t0.Add(time.Hour))); err != nil {
				t.Fatalf("Put over a corrupt file: %v", err)
			}
			if got, ok := cache.Get("k"); !ok || got.Value != "fresh" {
				t.Errorf("Get after rewrite = %+v, %v", got, ok)
			}
		})
	}
}

// TestConcurrentWritersLoseNothing runs writers through two handles, as two
// kubectl processes would have: every read-modify-write must be serialised
// by the file lock, or entries would be lost.
func TestConcurrentWritersLoseNothing(t *testing.T) {
	dir := privateDir(t)
	c := &clock{now: t0}
	a, wa := open(t, dir, c, WithLockTimeout(time.Minute))
	b, wb := open(t, dir, c, WithLockTimeout(time.Minute))
	const perHandle = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*perHandle)
	for i := range perHandle {
		for name, cache := range map[string]*Cache{"a": a, "b": b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprint(name, i)
				if err := cache.Put(key, tok(key, t0.Add(time.Hour))); err != nil {
					errs <- err
				}
				cache.Get(key)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Put: %v", err)
	}
	for _, name := range []string{"a", "b"} {
		for i := range perHandle {
			key := fmt.Sprint(name, i)
			if got, ok := a.Get(key); !ok || got.Value != key {
				t.Errorf("entry %s lost", key)
			}
		}
	}
	if len(wa.errs)+len(wb.errs) != 0 {
		t.Errorf("warnings: %v %v", wa.errs, wb.errs)
	}
}

func TestAStuckLockMeansNoCache(t *testing.T) {
	dir := privateDir(t)
	cache, w := open(t, dir, &clock{now: t0}, WithLockTimeout(time.Millisecond))
	if err := cache.Put("k", tok("t", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	holder, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := lock(holder, true, time.Now()); err != nil {
		t.Fatalf("taking the lock: %v", err)
	}
	if _, ok := cache.Get("k"); ok {
		t.Error("hit while another holds the lock")
	}
	if !w.has(ErrLocked) {
		t.Errorf("warnings %v, want ErrLocked", w.errs)
	}
	if err := cache.Put("k", tok("t", t0.Add(time.Hour))); !errors.Is(err, ErrLocked) {
		t.Errorf("Put = %v, want ErrLocked", err)
	}
	unlock(holder)
	if _, ok := cache.Get("k"); !ok {
		t.Error("miss once the lock is free")
	}
}

func TestKey(t *testing.T) {
	base := KeyInput{ClusterID: "prod", Region: "us-west-2", Credentials: "fp"}
	variants := []KeyInput{
		{ClusterID: "dev", Region: "us-west-2", Credentials: "fp"},
		{ClusterID: "prod", Region: "us-east-1", Credentials: "fp"},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "fp", Global: true},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "fp", Profile: "dev"},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "fp", RoleARN: "arn:aws:iam::111122223333:role/r"},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "fp", SessionName: "s"},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "fp", ExternalID: "x"},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "fp", STSEndpoint: "https://e"},
		{ClusterID: "prod", Region: "us-west-2", Credentials: "other"},
		// Field boundaries matter: no concatenation collisions.
		{ClusterID: "produs-west-2", Credentials: "fp"},
	}
	k := Key(base)
	if Key(base) != k || len(k) != 64 {
		t.Fatalf("Key not a stable SHA-256: %q", k)
	}
	for _, v := range variants {
		if Key(v) == k {
			t.Errorf("Key(%+v) collides with Key(%+v)", v, base)
		}
	}
}

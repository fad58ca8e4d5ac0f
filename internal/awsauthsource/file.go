package awsauthsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// DefaultFileInterval is how often a FileSource polls its file.
const DefaultFileInterval = 2 * time.Second

// maxFileSize bounds what a FileSource reads. A ConfigMap cannot exceed
// 1 MiB, but a mapping file is not a ConfigMap: generated files for large
// organisations hold 100,000 mappings (about 10 MiB). Anything past 64 MiB
// is a wrong path, not an aws-auth file.
const maxFileSize = 64 << 20

// missingPollsForDeletion is how many consecutive polls must find the file
// absent before it counts as deleted: some editors replace a file by
// removing it and writing a new one, and that moment must not blank the
// mapping.
const missingPollsForDeletion = 2

// FileOptions configures a FileSource. The zero value is usable.
type FileOptions struct {
	// Interval between polls; DefaultFileInterval when zero.
	Interval time.Duration
	// Logger receives the source's logs; slog.Default() when nil.
	Logger *slog.Logger
	// Now is the clock for Status.LastGood; time.Now when nil.
	Now func() time.Time
}

// FileSource reads the aws-auth mapping from a file, either a full ConfigMap
// manifest (apiVersion: v1, kind: ConfigMap, data: ...) or the bare data map
// (mapRoles: | ...), in YAML or JSON.
//
// It polls the file every Interval with a stat (size, modification and
// change times, inode and device): a poll that finds them as before costs
// one system call, whatever the file's size (a 100,000-mapping file was
// read and hashed every 2 seconds before). When any differ, or the file was
// modified too close to the last read for the times to tell writes apart
// (see racyWindow), it reads the file and processes it again if its content
// hash changed. Symlinks are followed, so a ConfigMap mounted as a volume
// works (its update swaps a symlink, so the inode changes).
//
// A file missing when Run starts is an error, not an empty mapping: the path
// was configured, so its absence is more likely a mistake than an intent.
// Status then shows it (Healthy false, LastError, Errors 1), HasSynced
// reports true, nothing is delivered, and polling goes on until the file
// appears. A file that existed and then stays absent for two polls is a
// deletion: the empty mapping is delivered. An empty file is rejected (a
// writer that truncates before writing would otherwise blank the mapping);
// write "{}" to empty the mapping on purpose.
type FileSource struct {
	path     string
	interval time.Duration
	t        *tracker
	running  atomic.Bool

	// Owned by the Run goroutine.
	last    string // the observation processed last: a version, "missing" or an error
	missing int    // consecutive polls that found no file after it existed
	stat    fileStat
	readAt  time.Time // when the content behind stat was read
	read    func(path string) ([]byte, fileStat, error)
	now     func() time.Time
}

// racyWindow is how close to the last read a modification time must be for
// an unchanged stat not to be trusted: a write in the same timestamp tick
// as the read (coarse on some file systems) leaves the times as they were.
// Within it the content is read and hashed again, as before.
const racyWindow = 2 * time.Second

// NewFileSource returns a source for the file at path that delivers to sink.
func NewFileSource(path string, sink Sink, opts FileOptions) (*FileSource, error) {
	if path == "" {
		return nil, errors.New("aws-auth file source: empty path")
	}
	if sink == nil {
		return nil, fmt.Errorf("aws-auth file source: %w", ErrNoSink)
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultFileInterval
	}
	return &FileSource{
		path:     path,
		interval: opts.Interval,
		t:        newTracker("file "+path, sink, opts.Logger, opts.Now),
		read:     readLimited,
		now:      time.Now,
	}, nil
}

// Run reads the file, then polls it until ctx is done, and returns nil. It
// fails only when called twice.
func (s *FileSource) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	s.poll()
	s.t.synced.Store(true)
	ticker := time.NewTicker(s.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			s.poll()
		}
	}
}

// Status returns a snapshot of the source.
func (s *FileSource) Status() Status { return s.t.status() }

// HasSynced reports whether the initial read is done, whatever its outcome.
func (s *FileSource) HasSynced() bool { return s.t.synced.Load() }

// poll reads the file and acts on what changed since the last poll.
func (s *FileSource) poll() {
	if s.unchanged() {
		return
	}
	readAt := s.now()
	content, st, err := s.read(s.path)
	s.stat, s.readAt = st, readAt
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.pollMissing(err)
	case err != nil:
		s.missing = 0
		if obs := "error " + err.Error(); obs != s.last {
			s.last = obs
			s.t.unreadable(err)
		}
	default:
		s.missing = 0
		version := versionOf(content)
		if version == s.last {
			return
		}
		s.last = version
		if len(content) >= largeFile {
			defer lowGarbage()()
		}
		data, err := decodeFile(content)
		if err != nil {
			s.t.reject(version, err, string(content))
			return
		}
		// The content is not kept while its data is parsed (for a 10 MiB
		// file that is 10 MiB more at the peak): a rejection reads it again.
		s.t.offer(version, data, s.textOf(version))
	}
}

// versionOf returns the version of a file's content: a prefix of its hash.
func versionOf(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// textOf returns a function that reads the file again and returns its
// content when it still is the given version, and "" otherwise (it changed
// since; the next poll reads the new version).
func (s *FileSource) textOf(version string) func() string {
	return func() string {
		content, _, err := s.read(s.path)
		if err != nil || versionOf(content) != version {
			return ""
		}
		return string(content)
	}
}

// largeFile is the size from which a reload keeps its garbage low (about
// 10,000 mappings): parsing allocates some 30 times the file's size, almost
// all of it short-lived.
const largeFile = 1 << 20

// lowGarbage makes the collector run often while a large file is parsed,
// so the parser's garbage does not pile up to double the peak heap, and
// returns the function that restores the collector's setting and gives the
// freed memory back to the system at once, rather than keep the peak as
// the footprint. A large reload is rare; its extra collector work is the
// price of a bounded peak.
func lowGarbage() (restore func()) {
	old := debug.SetGCPercent(lowGCPercent)
	return func() {
		debug.SetGCPercent(old)
		debug.FreeOSMemory()
	}
}

// lowGCPercent is GOGC during a large reload.
const lowGCPercent = 10

func (s *FileSource) pollMissing(err error) {
	const missing = "missing"
	switch {
	case s.last == missing:
	case s.last == "":
		s.last = missing
		s.t.unreadable(err)
	default:
		if s.missing++; s.missing >= missingPollsForDeletion {
			s.last = missing
			s.t.deleted("")
		}
	}
}

// unchanged reports whether a stat of the file says it is the one read
// last, modified long enough before that read for its times to be trusted.
func (s *FileSource) unchanged() bool {
	if !s.stat.ok || !strings.HasPrefix(s.last, "sha256:") {
		return false
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return false
	}
	st := statOf(fi)
	return st == s.stat && st.mtime.Before(s.readAt.Add(-racyWindow))
}

// readLimited reads at most maxFileSize bytes of path, and the stat of the
// file it read.
func readLimited(path string) ([]byte, fileStat, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStat{}, err
	}
	defer f.Close()
	var st fileStat
	if fi, err := f.Stat(); err == nil {
		st = statOf(fi)
	}
	content, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fileStat{}, fmt.Errorf("read %s: %w", path, err)
	}
	if len(content) > maxFileSize {
		return nil, fileStat{}, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	return content, st, nil
}

// manifest is the part of a ConfigMap manifest that decodeFile needs.
type manifest struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Data       map[string]string `json:"data"`
}

// decodeFile returns the ConfigMap data held by content, a ConfigMap
// manifest or a bare data map.
func decodeFile(content []byte) (map[string]string, error) {
	if data, ok := quickDecodeFile(content); ok {
		return data, nil
	}
	return yamlDecodeFile(content)
}

// yamlDecodeFile is decodeFile with the YAML library, for any form.
func yamlDecodeFile(content []byte) (map[string]string, error) {
	if strings.TrimSpace(string(content)) == "" {
		return nil, errors.New("file is empty (write {} for an empty mapping)")
	}
	if err := awsauth.CheckDuplicateKeys(content); err != nil {
		return nil, fmt.Errorf("decode aws-auth file: %w", err)
	}
	var top map[string]any
	if err := yaml.Unmarshal(content, &top); err != nil {
		return nil, fmt.Errorf("decode aws-auth file: %w", err)
	}
	_, hasKind := top["kind"]
	_, hasAPIVersion := top["apiVersion"]
	if hasKind || hasAPIVersion {
		var m manifest
		if err := yaml.Unmarshal(content, &m); err != nil {
			return nil, fmt.Errorf("decode ConfigMap manifest: %w", err)
		}
		if m.Kind != "ConfigMap" || m.APIVersion != "v1" {
			return nil, fmt.Errorf("manifest is %s %s, want v1 ConfigMap", m.APIVersion, m.Kind)
		}
		return m.Data, nil
	}
	var data map[string]string
	if err := yaml.Unmarshal(content, &data); err != nil {
		return nil, fmt.Errorf("decode aws-auth data map (values must be strings, as in mapRoles: |): %w", err)
	}
	return data, nil
}

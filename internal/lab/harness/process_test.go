package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStopKillsTheProcessGroup checks the teardown guarantee every server
// relies on: nothing a child started survives stop, even a child that
// ignores SIGTERM.
func TestStopKillsTheProcessGroup(t *testing.T) {
	for _, tc := range []struct {
		name, script string
	}{
		{"terminates on SIGTERM", `sleep 60 & echo $! > "$1"; wait`},
		{"ignores SIGTERM", `trap "" TERM; sleep 60 & echo $! > "$1"; wait`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pidFile := filepath.Join(dir, "grandchild.pid")
			p, err := startProcess("sh", filepath.Join(dir, "sh.log"), []string{"/bin/sh", "-c", tc.script, "sh", pidFile}, minimalEnv())
			if err != nil {
				t.Fatal(err)
			}
			grandchild := waitForPID(t, p, pidFile)
			if err := p.stop(200 * time.Millisecond); err != nil {
				t.Fatalf("stop: %v", err)
			}
			select {
			case <-p.done:
			default:
				t.Fatal("stop returned before the child exited")
			}
			waitGone(t, grandchild)
		})
	}
}

func waitForPID(t *testing.T, p *process, path string) int {
	t.Helper()
	for {
		if data, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(data), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil {
				t.Fatalf("pid file: %v", err)
			}
			return pid
		}
		select {
		case <-p.done:
			t.Fatal(p.exitedError())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitGone waits until pid no longer runs. A killed process whose parent has
// already exited is reaped by init, which may take a moment (or never
// happen in a container whose PID 1 does not reap): a zombie counts as gone.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err == nil {
			// "pid (comm) state ...": the state follows the last ')'.
			s := string(data)
			if fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(fields) > 0 && fields[0] == "Z" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs after stop", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

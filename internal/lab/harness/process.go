package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a child process in a process group of its own, whose output
// goes to a log file. Stop signals the whole group, so nothing the child
// started outlives it.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the child has exited and been reaped
	err     error         // Wait's result; read only after done
}

// startProcess starts argv with env, writing stdout and stderr to logPath.
func startProcess(name, logPath string, argv, env []string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// A safety net for a harness killed without running Stop (a test
		// binary's timeout panic): the kernel kills the child with it.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exitedError describes a child that exited while it should be running,
// with the end of its log, which usually says why.
func (p *process) exitedError() error {
	// cmd.Wait reports a clean exit as a nil error: say "exit status 0"
	// rather than print a Go zero value.
	how := "exit status 0"
	if p.err != nil {
		how = p.err.Error()
	}
	return fmt.Errorf("%s exited early (%s); end of %s:\n%s", p.name, how, p.logPath, tail(p.logPath, 30))
}

// stop sends SIGTERM to the process group and waits for the child to exit;
// after grace it sends SIGKILL and waits again. Any process left in the
// group is killed too.
func (p *process) stop(grace time.Duration) error {
	pgid := p.cmd.Process.Pid
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-p.done:
		case <-timer.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	// The group leader is gone; anything it forked goes with it.
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: kill process group: %w", p.name, err)
	}
	return nil
}

// waitUntil polls ready every interval until it returns nil. It gives up
// when the process exits, with its log, or when ctx ends, with ready's last
// error.
func (p *process) waitUntil(ctx context.Context, what string, ready func(context.Context) error) error {
	const interval = 100 * time.Millisecond
	var last error
	for {
		if last = ready(ctx); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return p.exitedError()
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for %s: %w (last error: %v); end of %s:\n%s",
				p.name, what, ctx.Err(), last, p.logPath, tail(p.logPath, 30))
		case <-time.After(interval):
		}
	}
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. Child
// processes must be told their port up front; the small window between
// closing this listener and the child binding the port is accepted (a
// collision shows as the child exiting early with "address already in use").
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// loopbackURL is scheme://127.0.0.1:port.
func loopbackURL(scheme string, port int) string {
	return scheme + "://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

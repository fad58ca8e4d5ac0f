package e2e

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/token"
)

// commandTimeout stops a hung client command; it asserts nothing about speed.
const commandTimeout = time.Minute

// result is what a command printed and how it exited.
type result struct {
	Stdout, Stderr string
	Code           int
}

// run runs a program with env and returns its output and exit code. Failing
// to start it, or a hang, fails the test.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	r := result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), ctx.Err(), r.Stdout, r.Stderr)
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	t.Logf("$ %s %s\n  exit %d\n  stdout: %s\n  stderr: %s", name, redact(strings.Join(args, " ")), r.Code, redact(r.Stdout), redact(r.Stderr))
	return r
}

// tokenPattern matches k8s-aws-v1 tokens in command lines and output.
var tokenPattern = regexp.MustCompile(`k8s-aws-v1\.[A-Za-z0-9_-]+`)

// redact replaces tokens by their fingerprint, as kubeiam logs them: test
// logs are logs too.
func redact(s string) string {
	return tokenPattern.ReplaceAllStringFunc(s, func(tok string) string {
		return token.Prefix + "<sha256:" + token.Fingerprint(tok) + ">"
	})
}

// kubectl runs /usr/bin/kubectl with a kubeconfig in the environment of an
// AWS profile ("" for none).
func kubectl(t *testing.T, c *harness.Cluster, profile, kubeconfig string, args ...string) result {
	t.Helper()
	return run(t, c.Env(profile), kubectlPath, append([]string{"--kubeconfig", kubeconfig}, args...)...)
}

// mustSucceed fails the test unless r exited 0.
func mustSucceed(t *testing.T, r result) result {
	t.Helper()
	if r.Code != 0 {
		t.Fatalf("exit code %d, want 0; stderr: %s", r.Code, r.Stderr)
	}
	return r
}

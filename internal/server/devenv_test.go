package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/server"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// Every diagnosis command works in a shell that sourced dev.env, with no
// flag naming the server, its CA, the STS or the cluster: the real kubeiam
// binary, run by sh.
func TestDevEnvServesEveryDiagnosisCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kubeiam: skipped with -short")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &testutil.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- server.RunDev(ctx, server.DevOptions{Dir: dir, Listen: "127.0.0.1:0", AWSListen: "127.0.0.1:0", Out: out,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	kubeiam, err := harness.BuildKubeiam(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String(), "Stop with Ctrl-C."); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("dev server not ready:\n%s", out.String())
		}
	}
	env := filepath.Join(dir, "dev.env")
	dev := "arn:aws:iam::111122223333:user/developer"
	for _, c := range []struct {
		cmd  string
		code int
		want string
	}{
		{"AWS_PROFILE=creator K whoami", 0, "authenticated:    yes"},
		{"AWS_PROFILE=developer K whoami", 1, "ARN_NOT_MAPPED"},
		{"AWS_PROFILE=creator K explain --arn " + dev + " --verb get --resource pods -n default --color never", 1, "ARN_NOT_MAPPED"},
		{"AWS_PROFILE=creator K logs", 0, ""},
		{"AWS_PROFILE=creator K doctor", 0, "PASS  server"},
		{"AWS_PROFILE=developer K doctor", 1, "export AWS_PROFILE=creator"},
		{"AWS_PROFILE=developer K token -i $KUBEIAM_CLUSTER --token-only | K verify", 0, "verified:"},
	} {
		script := ". " + env + " && " + strings.ReplaceAll(c.cmd, "K ", kubeiam+" ")
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(stdout.String(), c.want) {
			t.Errorf("%s: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", c.cmd, code, c.code, c.want, stdout.String(), stderr.String())
		}
	}
}

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

// TestDevTourRunsAsPrintedFromAnotherDirectory starts the kubeiam binary's
// dev server in one directory and runs the tour's commands, exactly as it
// prints them, with sh in another: the token and curl of step 2 get the
// response the tour promises, whoami refuses the developer and accepts the
// creator, and step 5's first fix maps the developer.
func TestDevTourRunsAsPrintedFromAnotherDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	// Installed as the README's install section says: go install, GOBIN on PATH.
	gobin := t.TempDir()
	install := exec.Command("go", "install", "./cmd/kubeiam")
	install.Dir = filepath.Join("..", "..")
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	if b, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install ./cmd/kubeiam: %v\n%s", err, b)
	}
	home, serverDir, userDir := t.TempDir(), t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + gobin + ":/usr/bin:/bin"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &testutil.SyncBuffer{}
	srv := exec.CommandContext(ctx, filepath.Join(gobin, "kubeiam"), "server", "--dev", "--listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0")
	srv.Dir, srv.Env, srv.Stdout, srv.Stderr = serverDir, env, out, &testutil.SyncBuffer{}
	srv.Cancel = func() error { return srv.Process.Signal(syscall.SIGTERM) }
	srv.WaitDelay = 10 * time.Second
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = srv.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "Stop with Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("no tour printed:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	tour := out.String()
	envFile := filepath.Join(serverDir, ".kubeiam-dev", "dev.env")
	if !strings.Contains(tour, "  . "+envFile+"\n") {
		t.Fatalf("tour does not source %s by its absolute path:\n%s", envFile, tour)
	}
	if !strings.Contains(tour, "AWS_PROFILE=creator kubeiam whoami") {
		t.Errorf("with kubeiam on PATH the tour does not spell it kubeiam:\n%s", tour)
	}
	sh := func(script string) result {
		t.Helper()
		return run(t, env, "/bin/sh", "-c", "cd "+userDir+" && . "+envFile+" && "+script)
	}
	line := func(prefix string) string {
		t.Helper()
		for _, l := range strings.Split(tour, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return strings.TrimSpace(l)
			}
		}
		t.Fatalf("tour has no line starting with %q:\n%s", prefix, tour)
		return ""
	}

	// Step 2: the response is the one the tour promises.
	promise := line(`#    → {"kind":"TokenReview",...,`)
	promised := strings.TrimSuffix(strings.TrimPrefix(promise, `#    → {"kind":"TokenReview",...,`), "}")
	r := mustSucceed(t, sh(line("TOKEN=$(")+" && "+line("curl -s ")))
	if !strings.Contains(r.Stdout, promised) {
		t.Errorf("step 2 answered %s; the tour promises %s", r.Stdout, promised)
	}
	// Steps 3 and 4: the developer is refused (exit 1), the creator not.
	whoamiDev := line("AWS_PROFILE=developer ") // the first one is step 1's aws, skip it
	for _, l := range strings.Split(tour, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "AWS_PROFILE=developer ") && strings.HasSuffix(l, " whoami") {
			whoamiDev = l
			break
		}
	}
	if r := sh(whoamiDev); r.Code != 1 || !strings.Contains(r.Stdout+r.Stderr, "ARN_NOT_MAPPED") {
		t.Errorf("step 3 %q: exit %d, %s%s; want refused, not mapped", whoamiDev, r.Code, r.Stdout, r.Stderr)
	}
	creator := strings.Replace(whoamiDev, "AWS_PROFILE=developer", "AWS_PROFILE=creator", 1)
	if r := sh(creator); r.Code != 0 {
		t.Errorf("step 4 %q: exit %d: %s", creator, r.Code, r.Stderr)
	}
	// Step 5: the first fix, as printed, maps the developer.
	fix := tour[strings.Index(tour, "# 5."):]
	fixLine := ""
	for _, l := range strings.Split(fix, "\n")[1:] {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			fixLine = l
			break
		}
	}
	mustSucceed(t, sh(fixLine))
	for {
		r := sh(whoamiDev)
		if r.Code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after step 5 %q the developer is still refused: %s%s", fixLine, r.Stdout, r.Stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(userDir, ".kubeiam-dev")); err == nil {
		t.Errorf("the tour's commands wrote a dev directory where they ran")
	}
}

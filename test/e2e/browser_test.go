package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// chromiumPath is Debian's chromium, which "make tools" installs.
const chromiumPath = "/usr/bin/chromium"

// artifactsEnv names a directory for test artifacts (the console's
// screenshots); a temporary one when unset.
const artifactsEnv = "KUBEIAM_ARTIFACTS"

// screenshotsEnv set to 1 also copies the screenshots into docs/console
// for the README.
const screenshotsEnv = "KUBEIAM_UPDATE_SCREENSHOTS"

// browserDeadline bounds one browser step; it guards against a hang and
// asserts nothing about speed.
const browserDeadline = 60 * time.Second

// browser starts a headless chromium of the test's own, or skips (fails
// under KUBEIAM_E2E=required) when there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	testutil.RequireProgram(t, "chromium", chromiumPath, "run \"make tools\" (Debian package chromium)")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // the first run starts the browser: no deadline on it
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs browser actions with a deadline.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserDeadline)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one browser action that returns a value, with a deadline.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserDeadline)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// startConsole runs "kubeiam console" as the AWS profile against the
// cluster and returns the URL it prints (with the secret) and its origin.
func startConsole(t *testing.T, c *harness.Cluster, profile string) (string, string) {
	t.Helper()
	cmd := exec.Command(kubeiamBinary(), "console", "--endpoint-url", c.Kubeiam.URL(""), "--server", c.Kubeiam.URL(""),
		"--ca-file", c.Kubeiam.Bundle().CAFile, "--cluster-name", c.ClusterID, "--kubeconfig", c.AdminKubeconfig)
	cmd.Env = c.Env(profile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); strings.HasPrefix(s, "http://127.0.0.1:") {
				urls <- s
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-urls:
		return u, u[:strings.Index(u, "/?")]
	case <-time.After(browserDeadline):
		t.Fatal("kubeiam console printed no URL")
		return "", ""
	}
}

// waitText waits until the element with id holds text. The page may
// still be the previous one, or between two (a form was just submitted),
// so a failed evaluation is retried until the deadline.
func waitText(t *testing.T, ctx context.Context, id, text string) {
	t.Helper()
	js := `(document.getElementById(` + strconv.Quote(id) + `) || {textContent: ""}).textContent`
	deadline := time.Now().Add(browserDeadline)
	var now string
	var err error
	for time.Now().Before(deadline) {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		now, err = chromedp.Run(sctx, chromedp.Evaluate[string](js))
		cancel()
		if err == nil && strings.Contains(now, text) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("#%s never held %q (it holds %q, last error %v)", id, text, now, err)
}

// screenshot saves the page as NAME.png among the artifacts (and in
// docs/console with KUBEIAM_UPDATE_SCREENSHOTS=1).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	// A page that is still being laid out (a redirect after a form, say)
	// has no width yet, and Chromium refuses to capture it: retry until the
	// deadline rather than fail on that moment.
	var png []byte
	var err error
	for deadline := time.Now().Add(browserDeadline); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		png, err = chromedp.Run(sctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil && len(png) > 0 {
			break
		}
	}
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv(artifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getenv(screenshotsEnv) == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "console", name+".png"), png, 0o644); err != nil {
			t.Errorf("copy the screenshot into docs/console: %v", err)
		}
	}
}

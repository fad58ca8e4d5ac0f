package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// TestMissHandsOverAndHitStandsAlone runs the real binaries: a miss is
// minted by the kubeiam next to kubeiam-token (and cached), a hit is
// answered by kubeiam-token alone, even with kubeiam gone; without kubeiam
// a miss names what to install.
func TestMissHandsOverAndHitStandsAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries: skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	full, err := harness.BuildKubeiam(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	slim, err := harness.BuildTokenPlugin(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"), "PATH=/nonexistent",
		"AWS_ACCESS_KEY_ID=" + tokentest.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + tokentest.SecretAccessKey,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-west-2"}
	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(slim, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}

	first, stderr, code := run("--cluster-name", "prod")
	if code != 0 || !strings.Contains(first, `"token":"k8s-aws-v1.`) {
		t.Fatalf("miss: exit %d, stdout %q, stderr %q", code, first, stderr)
	}
	// The same arguments in the "kubeiam token" form are the same call.
	if again, stderr, code := run("token", "-i", "prod"); code != 0 || again != first {
		t.Fatalf("hit: exit %d, same token %v, stderr %q", code, again == first, stderr)
	}

	if err := os.Remove(full); err != nil {
		t.Fatal(err)
	}
	if hit, stderr, code := run("--cluster-name", "prod"); code != 0 || hit != first {
		t.Errorf("hit without kubeiam: exit %d, same token %v, stderr %q", code, hit == first, stderr)
	}
	_, stderr, code = run("--cluster-name", "staging")
	if code != 1 || !strings.Contains(stderr, "kubeiam binary that mints one is not at "+full) || !strings.Contains(stderr, "go install ./cmd/...") {
		t.Errorf("miss without kubeiam: exit %d, stderr %q", code, stderr)
	}
	// A "kubeiam" that is kubeiam-token again is refused, not looped.
	if err := os.Symlink(slim, full); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run("--cluster-name", "staging"); code != 1 || !strings.Contains(stderr, "kubeiam-token again") {
		t.Errorf("hand-over loop: exit %d, stderr %q", code, stderr)
	}
	if out, _, code := run("--version"); code != 0 || !strings.HasPrefix(out, "kubeiam ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	if _, stderr, code := run(); code != 2 || !strings.Contains(stderr, "--cluster-name is required") {
		t.Errorf("no cluster: exit %d, %q", code, stderr)
	}
}

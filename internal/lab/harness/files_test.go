package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TokenPluginNextTo finds the kubeiam-token that would hand a cache miss
// over to this kubeiam: the one in kubeiam's own directory, symbolic links
// resolved, and nothing else.
func TestTokenPluginNextTo(t *testing.T) {
	bin, elsewhere := t.TempDir(), t.TempDir()
	kubeiam := filepath.Join(bin, "kubeiam")
	write := func(path string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(kubeiam, 0o755)
	if got := TokenPluginNextTo(kubeiam); got != "" {
		t.Errorf("no kubeiam-token yet: got %q", got)
	}
	write(filepath.Join(bin, TokenPluginName), 0o644)
	if got := TokenPluginNextTo(kubeiam); got != "" {
		t.Errorf("a kubeiam-token that is not executable: got %q", got)
	}
	if err := os.Chmod(filepath.Join(bin, TokenPluginName), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := TokenPluginNextTo(kubeiam); got != filepath.Join(bin, TokenPluginName) {
		t.Errorf("got %q, want the one next to kubeiam", got)
	}
	link := filepath.Join(elsewhere, "kubeiam")
	if err := os.Symlink(kubeiam, link); err != nil {
		t.Fatal(err)
	}
	if got := TokenPluginNextTo(link); got != filepath.Join(bin, TokenPluginName) {
		t.Errorf("through a symbolic link: got %q, want the one next to its target", got)
	}
	if got := TokenPluginNextTo(""); got != "" {
		t.Errorf("no kubeiam: got %q", got)
	}
}

// The kubeconfigs run kubeiam-token in the form "kubeiam kubeconfig"
// writes, or, without one, the equivalent "kubeiam token".
func TestExecPluginForms(t *testing.T) {
	files := awsFiles{}
	fast := plugin{kubeiam: "/b/kubeiam", tokenPlugin: "/b/kubeiam-token"}.execPlugin("c1", files, "dev")
	if fast.Command != "/b/kubeiam-token" || strings.Join(fast.Args, " ") != "--cluster-name c1" {
		t.Errorf("fast form: %s %v", fast.Command, fast.Args)
	}
	slow := plugin{kubeiam: "/b/kubeiam"}.execPlugin("c1", files, "dev")
	if slow.Command != "/b/kubeiam" || strings.Join(slow.Args, " ") != "token --cluster-name c1" {
		t.Errorf("fallback form: %s %v", slow.Command, slow.Args)
	}
	if fast.APIVersion != "client.authentication.k8s.io/v1beta1" || len(fast.Env) == 0 {
		t.Errorf("fast form: %+v", fast)
	}
}

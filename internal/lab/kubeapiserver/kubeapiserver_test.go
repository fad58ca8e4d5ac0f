package kubeapiserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

const wantVersion = "v1.32.13"

func TestBuildModuleRequiresKubernetes(t *testing.T) {
	if got := Version(); got != wantVersion {
		t.Errorf("Version() = %q, want %q", got, wantVersion)
	}
	if !bytes.Contains(buildGoSum, []byte("k8s.io/kubernetes "+wantVersion+" h1:")) {
		t.Errorf("kubeapiserver.go.sum has no hash of k8s.io/kubernetes %s", wantVersion)
	}
	args := strings.Join(buildArgs("/out"), " ")
	for _, want := range []string{"gitVersion=" + wantVersion, "gitMajor=1 ", "gitMinor=32", "-o /out k8s.io/kubernetes/cmd/kube-apiserver"} {
		if !strings.Contains(args, want) {
			t.Errorf("go %s: missing %q", args, want)
		}
	}
}

// replaceLine is one line of a replace block: "k8s.io/x => k8s.io/x v0.32.13"
// in ours, "k8s.io/x => ./staging/src/k8s.io/x" in upstream's.
var replaceLine = regexp.MustCompile(`^\s*(k8s\.io/\S+) => (\S+)(?: (\S+))?\s*$`)

func replaces(t *testing.T, gomod []byte) map[string][2]string {
	t.Helper()
	got := map[string][2]string{}
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if m := replaceLine.FindStringSubmatch(sc.Text()); m != nil {
			got[m[1]] = [2]string{m[2], m[3]}
		}
	}
	return got
}

// TestBuildModuleReplacesEveryStagingModule: k8s.io/kubernetes's go.mod
// points its staging modules at ./staging, absent from a module download,
// so the build module must replace each by its published v0.MINOR.PATCH
// twin, no more and no fewer.
func TestBuildModuleReplacesEveryStagingModule(t *testing.T) {
	ours := replaces(t, buildGoMod)
	const twin = "v0.32.13"
	for _, must := range []string{"k8s.io/api", "k8s.io/apimachinery", "k8s.io/apiserver", "k8s.io/client-go",
		"k8s.io/component-base", "k8s.io/kube-aggregator", "k8s.io/apiextensions-apiserver", "k8s.io/kms"} {
		if _, ok := ours[must]; !ok {
			t.Errorf("no replace for %s", must)
		}
	}
	for mod, to := range ours {
		if to != [2]string{mod, twin} {
			t.Errorf("replace %s => %s %s, want %s => %s %s", mod, to[0], to[1], mod, mod, twin)
		}
	}

	// Upstream's own list, from the module cache, where building
	// kube-apiserver once puts it.
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	upstreamFile := filepath.Join(strings.TrimSpace(string(gomodcache)), "cache", "download", "k8s.io", "kubernetes", "@v", wantVersion+".mod")
	upstream, err := os.ReadFile(upstreamFile)
	if errors.Is(err, os.ErrNotExist) {
		testutil.Missing(t, "upstream go.mod is not in the module cache at %s (building kube-apiserver once puts it there: run \"make e2e-tools\")", upstreamFile)
	}
	if err != nil {
		t.Fatal(err)
	}
	var staging []string
	for mod, to := range replaces(t, upstream) {
		if strings.HasPrefix(to[0], "./staging/") {
			staging = append(staging, mod)
		}
	}
	if len(staging) == 0 {
		t.Fatalf("no ./staging replaces in %s", upstreamFile)
	}
	var replaced []string
	for mod := range ours {
		replaced = append(replaced, mod)
	}
	slices.Sort(staging)
	slices.Sort(replaced)
	if !slices.Equal(staging, replaced) {
		t.Errorf("replaced modules differ from upstream's staging modules:\n ours     %v\n upstream %v", replaced, staging)
	}
}

func TestBuildEnvOverridesTheCallersGoSettings(t *testing.T) {
	env := buildEnv([]string{"PATH=/bin", "GOFLAGS=-mod=vendor", "GOWORK=/x/go.work", "CGO_ENABLED=1", "HOME=/h"})
	want := []string{"PATH=/bin", "HOME=/h", "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0"}
	if !slices.Equal(env, want) {
		t.Errorf("buildEnv = %v, want %v", env, want)
	}
}

func TestBuildWithoutGoSaysSo(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	noGo := func(string) (string, error) { return "", exec.ErrNotFound }
	_, err := Build(context.Background(), BuildOptions{LookPath: noGo})
	if !errors.Is(err, ErrNoGo) {
		t.Fatalf("Build without go: %v, want ErrNoGo", err)
	}
	for _, want := range []string{`"go" is not on PATH`, "https://go.dev/dl/", "--kube-apiserver"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestBuildUsesTheCache(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(Env, "")
	want := filepath.Join(cache, "kubeiam", "kube-apiserver-"+wantVersion)
	if p, err := Path(); err != nil || p != want {
		t.Fatalf("Path() = %q, %v; want %q", p, err, want)
	}
	if err := os.MkdirAll(filepath.Dir(want), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	lookPath := func(string) (string, error) { t.Error("a cached binary needs no go"); return "", exec.ErrNotFound }
	got, err := Build(context.Background(), BuildOptions{Progress: &out, LookPath: lookPath})
	if err != nil || got != want {
		t.Fatalf("Build = %q, %v; want %q", got, err, want)
	}
	if out.Len() != 0 {
		t.Errorf("a cached binary needs no progress: %q", out.String())
	}
	t.Setenv(Env, "/opt/kube-apiserver")
	if p, _ := Path(); p != "/opt/kube-apiserver" {
		t.Errorf("Path() with $%s = %q", Env, p)
	}
}

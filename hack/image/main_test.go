package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"--help"}, 0},
		{"no binary", []string{"--tarball", "x.tar"}, 2},
		{"no output", []string{"--binary", "kubeiam"}, 2},
		{"unknown flag", []string{"--nope"}, 2},
		{"stray argument", []string{"--binary", "k", "--tarball", "x", "extra"}, 2},
		{"binary missing", []string{"--binary", filepath.Join(t.TempDir(), "nope"), "--tarball", filepath.Join(t.TempDir(), "x.tar")}, 1},
		{"not a Go binary", []string{"--binary", "main.go", "--tarball", filepath.Join(t.TempDir(), "x.tar")}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(tt.args, &out, &errOut); code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut.String())
			}
		})
	}
}

// TestImageRunsVersion builds kubeiam as "make image" does, builds the
// image from it, reads both outputs back, checks the entrypoint and user,
// extracts /kubeiam from the layers and runs "kubeiam version".
func TestImageRunsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kubeiam: skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image's binary runs on linux only")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "kubeiam")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/kubeiam/kubeiam/cmd/kubeiam")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kubeiam: %v\n%s", err, out)
	}
	oci, tb := filepath.Join(dir, "oci"), filepath.Join(dir, "kubeiam.tar")
	var out, errOut bytes.Buffer
	if code := run([]string{"--binary", bin, "--tag", "kubeiam:test", "--oci-layout", oci, "--tarball", tb}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	idx, err := layout.ImageIndexFromPath(oci)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("index: %v %+v", err, m)
	}
	fromLayout, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("kubeiam:test")
	fromTarball, err := tarball.ImageFromPath(tb, &tag)
	if err != nil {
		t.Fatal(err)
	}
	for what, img := range map[string]v1.Image{"layout": fromLayout, "tarball": fromTarball} {
		t.Run(what, func(t *testing.T) {
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if u, ep := cf.Config.User, cf.Config.Entrypoint; u != "65532:65532" || len(ep) != 1 || ep[0] != "/kubeiam" {
				t.Fatalf("user %q entrypoint %q", u, ep)
			}
			if cf.Architecture != runtime.GOARCH || cf.Config.Labels["org.opencontainers.image.source"] == "" {
				t.Errorf("architecture %q labels %v", cf.Architecture, cf.Config.Labels)
			}
			extracted := filepath.Join(t.TempDir(), "kubeiam")
			extract(t, img, "kubeiam", extracted)
			got, err := exec.CommandContext(ctx, extracted, "version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(got), "kubeiam ") {
				t.Fatalf("kubeiam version: %v: %q", err, got)
			}
		})
	}
}

// extract writes the file at path in img's file system to dst, executable.
func extract(t *testing.T, img v1.Image, path, dst string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("no %s in the image", path)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != path {
			continue
		}
		if h.Mode&0o111 == 0 {
			t.Fatalf("%s is not executable: %o", path, h.Mode)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
}

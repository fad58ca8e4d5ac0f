package ociimage

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

var testConfig = Config{
	Binary: []byte("not really kubeiam"), CACerts: []byte("-----BEGIN CERTIFICATE-----\n"),
	Arch: "arm64", Version: "v1.2.3", Revision: "0123abcd", Source: "https://example.com/kubeiam",
	Created: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
}

// files returns the image's flattened file system: path → header and
// content.
func files(t *testing.T, img v1.Image) map[string]fileEntry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]fileEntry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = fileEntry{h, b}
	}
}

type fileEntry struct {
	h    *tar.Header
	data []byte
}

func TestBuild(t *testing.T) {
	img, err := Build(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if got := c.User; got != "65532:65532" {
		t.Errorf("User %q", got)
	}
	if len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/kubeiam" {
		t.Errorf("Entrypoint %q", c.Entrypoint)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" || !cf.Created.Time.Equal(testConfig.Created) {
		t.Errorf("platform %s/%s created %v", cf.OS, cf.Architecture, cf.Created)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.source":   "https://example.com/kubeiam",
		"org.opencontainers.image.version":  "v1.2.3",
		"org.opencontainers.image.revision": "0123abcd",
	} {
		if c.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], want)
		}
	}
	fs := files(t, img)
	bin, ok := fs["kubeiam"]
	if !ok || !bytes.Equal(bin.data, testConfig.Binary) || bin.h.Mode != 0o755 || bin.h.Uid != 0 {
		t.Errorf("/kubeiam: present %v, mode %o, uid %d", ok, bin.h.Mode, bin.h.Uid)
	}
	if !bytes.Contains(fs["etc/passwd"].data, []byte("nonroot:x:65532:65532:")) || !bytes.Contains(fs["etc/group"].data, []byte("nonroot:x:65532:")) {
		t.Errorf("no nonroot user: passwd %q group %q", fs["etc/passwd"].data, fs["etc/group"].data)
	}
	if !bytes.Equal(fs["etc/ssl/certs/ca-certificates.crt"].data, testConfig.CACerts) {
		t.Error("CA certificates missing")
	}
	home, ok := fs["home/nonroot/"]
	if !ok {
		home = fs["home/nonroot"]
	}
	if h := home.h; h == nil || h.Uid != 65532 {
		t.Error("no home directory owned by 65532")
	}
}

func TestBuildIsReproducible(t *testing.T) {
	a, err := Build(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db {
		t.Fatalf("same inputs, digests %s and %s", da, db)
	}
}

func TestBuildRefusesMissingInputs(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"no binary": func(c *Config) { c.Binary = nil },
		"no CAs":    func(c *Config) { c.CACerts = nil },
		"no arch":   func(c *Config) { c.Arch = "" },
	} {
		t.Run(name, func(t *testing.T) {
			c := testConfig
			mod(&c)
			if _, err := Build(c); err == nil {
				t.Fatal("built")
			}
		})
	}
}

// The layout and the tarball hold the same image, under the tag.
func TestWriteLayoutAndTarball(t *testing.T) {
	img, err := Build(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	dir := t.TempDir()
	if err := WriteLayout(filepath.Join(dir, "oci"), img, "kubeiam:test"); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(filepath.Join(dir, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want || m.Manifests[0].Annotations[refNameAnnotation] != "test" {
		t.Fatalf("index %+v, want one manifest %s named test", m.Manifests, want)
	}
	tb := filepath.Join(dir, "kubeiam.tar")
	if err := WriteTarball(tb, img, "kubeiam:test"); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("kubeiam:test")
	got, err := tarball.ImageFromPath(tb, &tag)
	if err != nil {
		t.Fatal(err)
	}
	// "docker load" tarballs carry Docker media types, so the manifest
	// digest differs; the config (and through it the layers) is the same.
	wantConfig, _ := img.ConfigName()
	if c, err := got.ConfigName(); err != nil || c != wantConfig {
		t.Fatalf("tarball image config %s (%v), want %s", c, err, wantConfig)
	}
	if err := WriteTarball(tb, img, "Not A Tag!"); err == nil {
		t.Fatal("bad tag accepted")
	}
}

// Package ociimage builds kubeiam's container image from a static binary,
// offline: no registry, no container daemon, no base image to pull. The
// image is two layers (the user database and CA certificates, then the
// binary at /kubeiam) and runs as the unprivileged user 65532. Write it as an
// OCI image layout (WriteLayout) or as a tarball that "docker load" and
// "podman load" read (WriteTarball).
package ociimage

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Config describes the image to build.
type Config struct {
	// Binary is the kubeiam executable: static (CGO_ENABLED=0), for linux.
	Binary []byte
	// CACerts is the PEM bundle installed at /etc/ssl/certs/ca-certificates.crt.
	CACerts []byte
	// Arch is the GOARCH the binary was built for ("amd64", "arm64").
	Arch string
	// Version and Revision become the org.opencontainers.image.version and
	// .revision labels when set.
	Version, Revision string
	// Source becomes the org.opencontainers.image.source label when set.
	Source string
	// Created is the image's creation time and every file's modification
	// time; the build's commit time keeps the image reproducible.
	Created time.Time
}

// Entrypoint and Cmd of the image: without arguments a container prints
// the help, which lists the commands; manifests pass ["server", ...].
var (
	Entrypoint = []string{BinaryPath}
	Cmd        = []string{"--help"}
)

// User is the image's USER.
var User = strconv.Itoa(NonrootUID) + ":" + strconv.Itoa(NonrootGID)

// Build assembles the image.
func Build(c Config) (v1.Image, error) {
	if len(c.Binary) == 0 {
		return nil, errors.New("image: no binary")
	}
	if len(c.CACerts) == 0 {
		return nil, errors.New("image: no CA certificates")
	}
	if c.Arch == "" {
		return nil, errors.New("image: no architecture")
	}
	base, err := baseLayer(c.CACerts, c.Created)
	if err != nil {
		return nil, err
	}
	bin, err := binaryLayer(c.Binary, c.Created)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.AppendLayers(img, base, bin); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", c.Arch
	cf.Created = v1.Time{Time: c.Created}
	cf.Config = v1.Config{
		Entrypoint: Entrypoint, Cmd: Cmd, User: User, WorkingDir: nonrootHome,
		Env:    []string{"HOME=" + nonrootHome, "SSL_CERT_FILE=" + CACertsPath},
		Labels: labels(c),
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}

// labels are the OCI annotations of the image's config
// (https://github.com/opencontainers/image-spec/blob/main/annotations.md).
func labels(c Config) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "kubeiam",
		"org.opencontainers.image.description": "AWS IAM authentication and EKS access entries for Kubernetes",
	}
	for k, v := range map[string]string{
		"org.opencontainers.image.source":   c.Source,
		"org.opencontainers.image.version":  c.Version,
		"org.opencontainers.image.revision": c.Revision,
	} {
		if v != "" {
			l[k] = v
		}
	}
	if !c.Created.IsZero() {
		l["org.opencontainers.image.created"] = c.Created.UTC().Format(time.RFC3339)
	}
	return l
}

// BinaryInfo is what a Go binary records about its own build.
type BinaryInfo struct {
	Arch, Version, Revision string
	// Time is the commit time (vcs.time), zero when not recorded.
	Time time.Time
}

// ReadBinaryInfo reads the build information the Go toolchain embeds in
// every binary, and refuses a binary that is not static or not for linux:
// the image has no C library and no other kernel.
func ReadBinaryInfo(path string) (BinaryInfo, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("read build information of %s (is it a Go binary?): %w", path, err)
	}
	info := BinaryInfo{Version: bi.Main.Version}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != "linux" {
		return BinaryInfo{}, fmt.Errorf("%s is built for GOOS=%q; the image needs GOOS=linux", path, settings["GOOS"])
	}
	if settings["CGO_ENABLED"] != "0" {
		return BinaryInfo{}, fmt.Errorf("%s is built with cgo; the image has no C library: build it with CGO_ENABLED=0", path)
	}
	info.Arch = settings["GOARCH"]
	info.Revision = settings["vcs.revision"]
	if t, err := time.Parse(time.RFC3339, settings["vcs.time"]); err == nil {
		info.Time = t
	}
	return info, nil
}

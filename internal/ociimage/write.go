package ociimage

import (
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation names an image in an OCI layout's index; skopeo, podman
// ("oci:DIR:TAG") and containerd read it.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img as a fresh OCI image layout in dir (removing what
// was there), its index naming it tag.
func WriteLayout(dir string, img v1.Image, tag string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", tag, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	err = p.AppendImage(img,
		layout.WithAnnotations(map[string]string{refNameAnnotation: ref.TagStr()}),
		layout.WithPlatform(v1.Platform{OS: cf.OS, Architecture: cf.Architecture}))
	if err != nil {
		return fmt.Errorf("oci layout: %w", err)
	}
	return nil
}

// WriteTarball writes img as an image tarball that "docker load" and
// "podman load" import as tag.
func WriteTarball(path string, img v1.Image, tag string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", tag, err)
	}
	if err := tarball.WriteToFile(path, ref, img); err != nil {
		return fmt.Errorf("image tarball: %w", err)
	}
	return nil
}

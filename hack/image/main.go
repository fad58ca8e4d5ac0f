// Command image builds kubeiam's container image from a kubeiam binary,
// offline (no registry, no Docker daemon), as an OCI image layout and/or a
// tarball for "docker load" / "podman load". "make image" runs it; see
// package internal/ociimage for what the image holds.
//
//	go run ./hack/image --binary bin/linux_amd64/kubeiam --tag kubeiam:dev \
//	    --oci-layout bin/image/oci --tarball bin/image/kubeiam.tar
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kubeiam/kubeiam/internal/ociimage"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	binary, caCerts, tag, layout, tarball, source string
}

// run returns the exit code: 0 built, 1 failed, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./hack/image --binary FILE [--oci-layout DIR] [--tarball FILE] [--tag NAME:TAG]\n\n"+
			"Builds kubeiam's container image from a static linux kubeiam binary (CGO_ENABLED=0),\n"+
			"without a registry or a container daemon.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.binary, "binary", "", "the kubeiam binary to put at /kubeiam (required)")
	fs.StringVar(&o.caCerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to install at "+ociimage.CACertsPath)
	fs.StringVar(&o.tag, "tag", "kubeiam:dev", "the image name and tag")
	fs.StringVar(&o.layout, "oci-layout", "", "write an OCI image layout into this directory (replaced)")
	fs.StringVar(&o.tarball, "tarball", "", `write a tarball for "docker load" / "podman load" to this file`)
	fs.StringVar(&o.source, "source", "https://github.com/kubeiam/kubeiam", "the org.opencontainers.image.source label")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if o.binary == "" || (o.layout == "" && o.tarball == "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "image: --binary and at least one of --oci-layout and --tarball are required, and no arguments")
		fs.Usage()
		return 2
	}
	if err := build(o, stdout); err != nil {
		fmt.Fprintln(stderr, "image:", err)
		return 1
	}
	return 0
}

func build(o options, stdout io.Writer) error {
	info, err := ociimage.ReadBinaryInfo(o.binary)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(o.binary)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(o.caCerts)
	if err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	created := info.Time
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	img, err := ociimage.Build(ociimage.Config{
		Binary: bin, CACerts: ca, Arch: info.Arch, Version: info.Version, Revision: info.Revision,
		Source: o.source, Created: created,
	})
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	if o.layout != "" {
		if err := ociimage.WriteLayout(o.layout, img, o.tag); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "OCI layout %s (%s, %s)\n", o.layout, o.tag, digest)
	}
	if o.tarball != "" {
		if err := ociimage.WriteTarball(o.tarball, img, o.tag); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "tarball %s (%s, %s): docker load -i %s\n", o.tarball, o.tag, digest, o.tarball)
	}
	return nil
}

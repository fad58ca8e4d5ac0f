package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// NonrootUID and NonrootGID are the identity the image runs as: 65532, the
// "nonroot" user of distroless images, so that manifests written for those
// (runAsUser: 65532) work unchanged.
const (
	NonrootUID = 65532
	NonrootGID = 65532
)

// Paths inside the image.
const (
	BinaryPath  = "/kubeiam"
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	nonrootHome = "/home/nonroot"
)

// passwd and group name root and nonroot only: Go's os/user and anything
// that prints the user need an entry; nothing may log in (no shell).
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnonroot:x:65532:\n"
)

// file is one entry of a layer.
type file struct {
	path     string
	mode     int64
	uid, gid int
	dir      bool
	data     []byte
}

// baseLayer holds what a static binary needs from an operating system:
// the user database and the CA certificates (the STS verifier's TLS).
func baseLayer(caCerts []byte, mtime time.Time) (v1.Layer, error) {
	return layer([]file{
		{path: "etc/", mode: 0o755, dir: true},
		{path: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{path: "etc/group", mode: 0o644, data: []byte(group)},
		{path: "etc/ssl/", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/", mode: 0o755, dir: true},
		{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: caCerts},
		{path: "home/", mode: 0o755, dir: true},
		{path: "home/nonroot/", mode: 0o700, uid: NonrootUID, gid: NonrootGID, dir: true},
		// Writable by all, sticky, like every /tmp; with a read-only root
		// file system the pod mounts an emptyDir here when it needs one.
		{path: "tmp/", mode: 0o1777, dir: true},
	}, mtime)
}

// binaryLayer holds the kubeiam binary, owned by root and not writable by
// the user it runs as.
func binaryLayer(binary []byte, mtime time.Time) (v1.Layer, error) {
	return layer([]file{{path: BinaryPath[1:], mode: 0o755, data: binary}}, mtime)
}

// layer writes files, in path order, into an uncompressed tar and wraps it
// as a gzip-compressed OCI layer. Every entry has the same modification
// time, so the same inputs always give the same digest.
func layer(files []file, mtime time.Time) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name: f.path, Mode: f.mode, Uid: f.uid, Gid: f.gid, ModTime: mtime,
			Typeflag: tar.TypeReg, Size: int64(len(f.data)), Format: tar.FormatPAX,
		}
		if f.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer %s: %w", f.path, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("layer %s: %w", f.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

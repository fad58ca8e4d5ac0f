package certs

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

func TestReloader(t *testing.T) {
	dir := t.TempDir()
	a := mustEnsure(t, filepath.Join(dir, "a"), testHosts, testNow)
	b := mustEnsure(t, filepath.Join(dir, "b"), testHosts, testNow)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	install := func(certPEM, keyPEM []byte) {
		writeFile(t, certFile, string(certPEM))
		writeFile(t, keyFile, string(keyPEM))
	}
	serving := func(r *Reloader) []byte {
		c, err := r.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Certificate[0]
	}
	der := func(b Bundle) []byte { return mustParse(t, b.CertPEM).Raw }

	install(a.CertPEM, a.KeyPEM)
	r, err := NewReloader(certFile, keyFile, ReloaderOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(serving(r), der(a)) {
		t.Fatal("initial pair not served")
	}

	// Mid-rotation: new certificate, old key. The current pair stays.
	writeFile(t, certFile, string(b.CertPEM))
	r.poll()
	if !bytes.Equal(serving(r), der(a)) {
		t.Fatal("mismatched pair replaced the current one")
	}
	// Rotation complete.
	writeFile(t, keyFile, string(b.KeyPEM))
	r.poll()
	if !bytes.Equal(serving(r), der(b)) {
		t.Fatal("rotated pair not served")
	}
	// Garbage keeps the current pair.
	install([]byte("x"), []byte("y"))
	r.poll()
	if !bytes.Equal(serving(r), der(b)) {
		t.Fatal("garbage replaced the current pair")
	}
	if cfg := r.TLSConfig(); cfg.GetCertificate == nil || cfg.MinVersion == 0 {
		t.Errorf("TLSConfig = %+v", cfg)
	}
}

func TestReloaderRun(t *testing.T) {
	dir := t.TempDir()
	a := mustEnsure(t, filepath.Join(dir, "a"), testHosts, testNow)
	b := mustEnsure(t, filepath.Join(dir, "b"), testHosts, testNow)
	r, err := NewReloader(a.CertFile, a.KeyFile, ReloaderOptions{Interval: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	writeFile(t, a.KeyFile, string(b.KeyPEM))
	writeFile(t, a.CertFile, string(b.CertPEM))
	want := mustParse(t, b.CertPEM).Raw
	deadline := time.Now().Add(20 * time.Second)
	for c, _ := r.GetCertificate(nil); !bytes.Equal(c.Certificate[0], want); c, _ = r.GetCertificate(nil) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the rotated pair")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestNewReloaderErrors(t *testing.T) {
	a := mustEnsure(t, t.TempDir(), testHosts, testNow)
	b := mustEnsure(t, t.TempDir(), testHosts, testNow)
	if _, err := NewReloader(a.CertFile, b.KeyFile, ReloaderOptions{}); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("mismatch: err = %v", err)
	}
	if _, err := NewReloader(filepath.Join(t.TempDir(), "none"), a.KeyFile, ReloaderOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
}

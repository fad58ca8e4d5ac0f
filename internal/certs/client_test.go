package certs

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestEnsureClient(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	b, err := EnsureClient(dir, clock)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := parsePair(b.CertPEM, b.KeyPEM, "cert", "key")
	if err != nil {
		t.Fatal(err)
	}
	cas, err := parseCertificates(b.CAPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cas[0])
	if _, err := kp.cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify for client auth: %v", err)
	}
	if _, err := kp.cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("client certificate is usable as a serving certificate")
	}
	if kp.cert.Subject.CommonName != ClientCommonName || cas[0].Subject.CommonName != clientCACommonName {
		t.Errorf("subjects %q, CA %q", kp.cert.Subject.CommonName, cas[0].Subject.CommonName)
	}
	for name, mode := range map[string]os.FileMode{ClientCAKeyFileName: 0o600, ClientKeyFileName: 0o600, ClientCAFileName: 0o644, ClientCertFileName: 0o644} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v mode %v, want %v", name, err, st.Mode().Perm(), mode)
		}
	}

	t.Run("valid material is kept", func(t *testing.T) {
		again, err := EnsureClient(dir, clock)
		if err != nil || !bytes.Equal(again.CertPEM, b.CertPEM) || !bytes.Equal(again.CAPEM, b.CAPEM) {
			t.Errorf("second EnsureClient changed the material (err %v)", err)
		}
	})
	t.Run("an expiring client certificate is reissued under the same CA", func(t *testing.T) {
		later := func() time.Time { return now.Add(365*24*time.Hour - RenewBefore + time.Hour) }
		renewed, err := EnsureClient(dir, later)
		if err != nil || bytes.Equal(renewed.CertPEM, b.CertPEM) || !bytes.Equal(renewed.CAPEM, b.CAPEM) {
			t.Errorf("renewal: err %v, cert changed %v, CA kept %v", err, !bytes.Equal(renewed.CertPEM, b.CertPEM), bytes.Equal(renewed.CAPEM, b.CAPEM))
		}
	})
}

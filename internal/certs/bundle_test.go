package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadServing(t *testing.T) {
	own := mustEnsure(t, t.TempDir(), testHosts, testNow)
	other := mustEnsure(t, t.TempDir(), testHosts, testNow)
	dir := t.TempDir()
	path := func(name, content string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, content)
		return p
	}
	garbage := path("garbage.pem", "not PEM at all")
	otherKey := path("other.key", string(other.KeyPEM))
	missing := filepath.Join(dir, "missing.crt")
	clientCert, clientKey := clientOnlyPair(t, own)
	clientCertFile, clientKeyFile := path("client.crt", string(clientCert)), path("client.key", string(clientKey))
	chainFile := path("chain.crt", string(own.CertPEM)+string(own.CAPEM))

	tests := []struct {
		name                      string
		certFile, keyFile, caFile string
		wantErr                   error
		wantInMsg                 string
	}{
		{name: "generated material with its CA", certFile: own.CertFile, keyFile: own.KeyFile, caFile: own.CAFile},
		{name: "without a CA file", certFile: own.CertFile, keyFile: own.KeyFile},
		{name: "chain including the CA", certFile: chainFile, keyFile: own.KeyFile, caFile: own.CAFile},
		{name: "missing certificate names the path", certFile: missing, keyFile: own.KeyFile,
			wantErr: fs.ErrNotExist, wantInMsg: missing},
		{name: "missing key names the path", certFile: own.CertFile, keyFile: missing,
			wantErr: fs.ErrNotExist, wantInMsg: missing},
		{name: "missing CA names the path", certFile: own.CertFile, keyFile: own.KeyFile, caFile: missing,
			wantErr: fs.ErrNotExist, wantInMsg: missing},
		{name: "key of another certificate", certFile: own.CertFile, keyFile: otherKey,
			wantErr: ErrKeyMismatch, wantInMsg: otherKey},
		{name: "certificate file without PEM", certFile: garbage, keyFile: own.KeyFile,
			wantErr: ErrNoPEM, wantInMsg: garbage},
		{name: "key file without PEM", certFile: own.CertFile, keyFile: garbage,
			wantErr: ErrNoPEM, wantInMsg: garbage},
		{name: "CA file without PEM", certFile: own.CertFile, keyFile: own.KeyFile, caFile: garbage,
			wantErr: ErrNoPEM, wantInMsg: garbage},
		{name: "certificate from another CA", certFile: own.CertFile, keyFile: own.KeyFile, caFile: other.CAFile,
			wantErr: ErrNotSignedByCA, wantInMsg: other.CAFile},
		{name: "client-only certificate", certFile: clientCertFile, keyFile: clientKeyFile,
			wantErr: errAny, wantInMsg: "server authentication"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := LoadServing(tc.certFile, tc.keyFile, tc.caFile)
			if tc.wantErr != nil {
				if err == nil || (tc.wantErr != errAny && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantInMsg) {
					t.Errorf("err %q does not mention %q", err, tc.wantInMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.CertFile != tc.certFile || b.KeyFile != tc.keyFile || b.CAFile != tc.caFile {
				t.Errorf("files = %q %q %q", b.CertFile, b.KeyFile, b.CAFile)
			}
			if (len(b.CAPEM) > 0) != (tc.caFile != "") {
				t.Errorf("CAPEM set = %v with caFile %q", len(b.CAPEM) > 0, tc.caFile)
			}
			if _, err := b.TLSConfig(); err != nil {
				t.Errorf("TLSConfig: %v", err)
			}
		})
	}
}

func TestLoadServingAcceptsOtherKeyEncodings(t *testing.T) {
	own := mustEnsure(t, t.TempDir(), testHosts, testNow)
	key, err := parseKey(own.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "ec.key")
	writeFile(t, keyFile, string(pemBlock("EC PRIVATE KEY", sec1)))
	if _, err := LoadServing(own.CertFile, keyFile, own.CAFile); err != nil {
		t.Fatalf("SEC 1 key: %v", err)
	}
}

func TestBundleTLSConfig(t *testing.T) {
	b := mustEnsure(t, t.TempDir(), testHosts, testNow)
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x, want TLS 1.2", cfg.MinVersion)
	}
	if len(cfg.Certificates) != 1 {
		t.Fatalf("%d certificates, want 1", len(cfg.Certificates))
	}
	if _, err := (Bundle{CertPEM: b.CertPEM, KeyPEM: []byte("nope")}).TLSConfig(); err == nil {
		t.Error("TLSConfig accepted a broken key")
	}
}

// clientOnlyPair issues, from b's CA, a certificate usable for client
// authentication only.
func clientOnlyPair(t *testing.T, b Bundle) (certPEM, keyPEM []byte) {
	t.Helper()
	ca := keyPairOf(t, b)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := newSerial()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "client"},
		NotBefore:    testNow,
		NotAfter:     testNow.Add(servingLifetime),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	kp, err := sign(tmpl, ca.cert, key, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return kp.certPEM, kp.keyPEM
}

package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var (
	testNow   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	testHosts = []string{"127.0.0.1", "localhost", "::1"}
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustEnsure(t *testing.T, dir string, hosts []string, now time.Time) Bundle {
	t.Helper()
	b, err := EnsureServing(dir, hosts, fixedClock(now))
	if err != nil {
		t.Fatalf("EnsureServing: %v", err)
	}
	return b
}

func mustParse(t *testing.T, pemData []byte) *x509.Certificate {
	t.Helper()
	certs, err := parseCertificates(pemData)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return certs[0]
}

func TestEnsureServingGeneratesCAAndServingCertificate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	b := mustEnsure(t, dir, testHosts, testNow)

	ca := mustParse(t, b.CAPEM)
	if !ca.IsCA || ca.Subject.CommonName != caCommonName {
		t.Errorf("CA: IsCA=%v CN=%q", ca.IsCA, ca.Subject.CommonName)
	}
	if want := testNow.Add(caLifetime); !ca.NotAfter.Equal(want) {
		t.Errorf("CA NotAfter = %s, want %s", ca.NotAfter, want)
	}
	leaf := mustParse(t, b.CertPEM)
	if want := testNow.Add(servingLifetime); !leaf.NotAfter.Equal(want) {
		t.Errorf("serving NotAfter = %s, want %s", leaf.NotAfter, want)
	}
	if leaf.IsCA {
		t.Error("serving certificate is a CA")
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("serving ExtKeyUsage = %v, want [ServerAuth]", leaf.ExtKeyUsage)
	}
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "localhost" {
		t.Errorf("DNS SANs = %v, want [localhost]", leaf.DNSNames)
	}
	wantIPs := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}
	if len(leaf.IPAddresses) != len(wantIPs) {
		t.Fatalf("IP SANs = %v, want %v", leaf.IPAddresses, wantIPs)
	}
	for i, ip := range wantIPs {
		if !leaf.IPAddresses[i].Equal(ip) {
			t.Errorf("IP SAN %d = %s, want %s", i, leaf.IPAddresses[i], ip)
		}
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Errorf("serving certificate not signed by CA: %v", err)
	}
	for _, c := range []*x509.Certificate{ca, leaf} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: key %T, want ECDSA P-256", c.Subject.CommonName, c.PublicKey)
		}
	}

	wantModes := map[string]os.FileMode{
		dir: dirMode, b.CAFile: certMode, b.CertFile: certMode,
		filepath.Join(dir, CAKeyFileName): keyMode, b.KeyFile: keyMode,
	}
	for path, want := range wantModes {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", path, got, want)
		}
	}
	onDisk, err := os.ReadFile(b.CertFile)
	if err != nil || !bytes.Equal(onDisk, b.CertPEM) {
		t.Errorf("tls.crt on disk differs from bundle (err %v)", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestEnsureServingRenewal covers when material is reused and when it is
// replaced, and that a usable CA survives a reissued serving certificate.
func TestEnsureServingRenewal(t *testing.T) {
	tests := []struct {
		name        string
		hosts       []string
		now         time.Time
		tamper      func(t *testing.T, dir string)
		wantNewCA   bool
		wantNewCert bool
	}{
		{name: "unchanged material is reused", hosts: testHosts, now: testNow.Add(24 * time.Hour)},
		{name: "a subset of the hosts is covered", hosts: []string{"localhost"}, now: testNow},
		{name: "serving certificate expiring within 30 days is reissued", hosts: testHosts,
			now: testNow.Add(servingLifetime - 29*24*time.Hour), wantNewCert: true},
		{name: "serving certificate valid 31 more days is kept", hosts: testHosts,
			now: testNow.Add(servingLifetime - 31*24*time.Hour)},
		{name: "new host reissues the serving certificate", hosts: append([]string{"kubeiam.example"}, testHosts...),
			now: testNow, wantNewCert: true},
		{name: "CA expiring within 30 days replaces everything", hosts: testHosts,
			now: testNow.Add(caLifetime - 29*24*time.Hour), wantNewCA: true, wantNewCert: true},
		{name: "clock before NotBefore replaces everything", hosts: testHosts,
			now: testNow.Add(-2 * backdate), wantNewCA: true, wantNewCert: true},
		{name: "corrupt serving certificate is reissued", hosts: testHosts, now: testNow, wantNewCert: true,
			tamper: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, CertFileName), "garbage") }},
		{name: "missing serving key is reissued", hosts: testHosts, now: testNow, wantNewCert: true,
			tamper: func(t *testing.T, dir string) { removeFile(t, filepath.Join(dir, KeyFileName)) }},
		{name: "serving certificate from another CA is reissued", hosts: testHosts, now: testNow, wantNewCert: true,
			tamper: func(t *testing.T, dir string) {
				other := mustEnsure(t, t.TempDir(), testHosts, testNow)
				writeFile(t, filepath.Join(dir, CertFileName), string(other.CertPEM))
				writeFile(t, filepath.Join(dir, KeyFileName), string(other.KeyPEM))
			}},
		{name: "CA key not matching the CA replaces everything", hosts: testHosts, now: testNow,
			wantNewCA: true, wantNewCert: true,
			tamper: func(t *testing.T, dir string) {
				other := mustEnsure(t, t.TempDir(), testHosts, testNow)
				writeFile(t, filepath.Join(dir, CAKeyFileName), string(other.KeyPEM))
			}},
		{name: "serving certificate in place of the CA replaces everything", hosts: testHosts, now: testNow,
			wantNewCA: true, wantNewCert: true,
			tamper: func(t *testing.T, dir string) {
				b, _ := os.ReadFile(filepath.Join(dir, CertFileName))
				k, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
				writeFile(t, filepath.Join(dir, CAFileName), string(b))
				writeFile(t, filepath.Join(dir, CAKeyFileName), string(k))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			first := mustEnsure(t, dir, testHosts, testNow)
			if tc.tamper != nil {
				tc.tamper(t, dir)
			}
			second := mustEnsure(t, dir, tc.hosts, tc.now)
			if got := !bytes.Equal(first.CAPEM, second.CAPEM); got != tc.wantNewCA {
				t.Errorf("new CA = %v, want %v", got, tc.wantNewCA)
			}
			if got := !bytes.Equal(first.CertPEM, second.CertPEM); got != tc.wantNewCert {
				t.Errorf("new serving certificate = %v, want %v", got, tc.wantNewCert)
			}
			// Whatever happened, the result must now be reused as is.
			third := mustEnsure(t, dir, tc.hosts, tc.now)
			if !bytes.Equal(second.CertPEM, third.CertPEM) || !bytes.Equal(second.CAPEM, third.CAPEM) {
				t.Error("material written by EnsureServing is not reused by the next call")
			}
			if _, err := readServing(second.CertFile, second.KeyFile, keyPairOf(t, second), tc.hosts, tc.now); err != nil {
				t.Errorf("result not usable: %v", err)
			}
		})
	}
}

func keyPairOf(t *testing.T, b Bundle) keyPair {
	t.Helper()
	ca, err := readPair(b.CAFile, filepath.Join(filepath.Dir(b.CAFile), CAKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestEnsureServingHosts(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []string
		wantErr error
		wantIPs int
		wantDNS []string
	}{
		{name: "no hosts", hosts: nil, wantErr: ErrNoHosts},
		{name: "empty host", hosts: []string{""}, wantErr: errAny},
		{name: "host with a port", hosts: []string{"localhost:8443"}, wantErr: errAny},
		{name: "host with a path", hosts: []string{"a/b"}, wantErr: errAny},
		{name: "bracketed IPv6", hosts: []string{"[::1]"}, wantIPs: 1},
		{name: "names are lowercased", hosts: []string{"Kubeiam.Example"}, wantDNS: []string{"kubeiam.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EnsureServing(t.TempDir(), tc.hosts, fixedClock(testNow))
			if tc.wantErr != nil {
				if err == nil || (tc.wantErr != errAny && !errors.Is(err, tc.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			leaf := mustParse(t, b.CertPEM)
			if len(leaf.IPAddresses) != tc.wantIPs {
				t.Errorf("IP SANs = %v, want %d", leaf.IPAddresses, tc.wantIPs)
			}
			if len(tc.wantDNS) > 0 && (len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != tc.wantDNS[0]) {
				t.Errorf("DNS SANs = %v, want %v", leaf.DNSNames, tc.wantDNS)
			}
		})
	}
}

func TestEnsureServingKeepsModeOfExistingDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	mustEnsure(t, dir, testHosts, testNow)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o750 {
		t.Errorf("existing dir mode = %v, want 0750 kept", got)
	}
}

func TestEnsureServingTightensLooseKeyMode(t *testing.T) {
	dir := t.TempDir()
	mustEnsure(t, dir, testHosts, testNow)
	key := filepath.Join(dir, KeyFileName)
	writeFile(t, key, "garbage")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	mustEnsure(t, dir, testHosts, testNow)
	fi, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != keyMode {
		t.Errorf("rewritten key mode = %v, want %v", got, keyMode)
	}
}

// errAny in a table means "some error, which one does not matter".
var errAny = errors.New("any error")

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func removeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

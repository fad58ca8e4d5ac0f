package certs

import "testing"

// FuzzParsePair feeds arbitrary bytes to the PEM parsers, which read
// user-provided files: they must fail cleanly, never panic, and never accept
// a key that is not the certificate's.
func FuzzParsePair(f *testing.F) {
	b, err := EnsureServing(f.TempDir(), testHosts, fixedClock(testNow))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b.CertPEM, b.KeyPEM)
	f.Add(b.CAPEM, b.KeyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"), []byte("-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		kp, err := parsePair(certPEM, keyPEM, "cert", "key")
		if err != nil {
			return
		}
		if kp.cert == nil || kp.key == nil {
			t.Fatal("accepted pair without certificate or key")
		}
		pub, ok := kp.key.Public().(interface{ Equal(any) bool })
		if ok && !pub.Equal(kp.cert.PublicKey) {
			t.Fatal("accepted a key that is not the certificate's")
		}
	})
}

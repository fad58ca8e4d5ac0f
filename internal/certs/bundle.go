// Package certs provides the TLS material of the webhook server: a
// self-managed CA and serving certificate (EnsureServing) or user-provided
// files (LoadServing), a reloader for certificates rotated on disk, and the
// kubeconfig files through which kube-apiserver reaches the webhooks
// (WriteWebhookKubeconfig).
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
)

// Bundle is the TLS material of the webhook server, as PEM and as the files
// it was read from or written to.
type Bundle struct {
	// CAPEM is the CA that kube-apiserver must trust to reach the webhook;
	// empty when LoadServing was given no CA file.
	CAPEM []byte
	// CertPEM is the serving certificate chain, leaf first.
	CertPEM []byte
	// KeyPEM is the serving private key.
	KeyPEM []byte
	// CertFile, KeyFile and CAFile are the paths of the files above.
	CertFile, KeyFile, CAFile string
}

// TLSConfig returns a server configuration presenting the serving
// certificate, with TLS 1.2 as the minimum version (what kube-apiserver and
// every supported Go client speak).
func (b Bundle) TLSConfig() (*tls.Config, error) {
	pair, err := tls.X509KeyPair(b.CertPEM, b.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("load serving key pair: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
	}, nil
}

// LoadServing reads a user-provided serving certificate (a PEM chain, leaf
// first) and its private key, and optionally the CA that issued it (caFile
// may be empty, for example when kube-apiserver trusts the issuer already).
// It fails with an error naming the offending path when a file cannot be
// read or parsed, with ErrKeyMismatch when the key is not the certificate's,
// and with ErrNotSignedByCA when the chain does not lead to the CA.
//
// Expiry is not judged here, since no clock is at hand and a certificate
// renewed on disk is picked up by a Reloader; the TLS handshake reports an
// expired certificate to kube-apiserver clearly.
func LoadServing(certFile, keyFile, caFile string) (Bundle, error) {
	kp, err := readPair(certFile, keyFile)
	if err != nil {
		return Bundle{}, err
	}
	b := Bundle{CertPEM: kp.certPEM, KeyPEM: kp.keyPEM, CertFile: certFile, KeyFile: keyFile}
	if !servesTLS(kp.cert) {
		return Bundle{}, fmt.Errorf("certificate %s is not valid for server authentication (extended key usage)", certFile)
	}
	if caFile == "" {
		return b, nil
	}
	caPEM, err := ReadPEMFile(caFile)
	if err != nil {
		return Bundle{}, fmt.Errorf("read CA: %w", err)
	}
	cas, err := parseCertificates(caPEM)
	if err != nil {
		return Bundle{}, fmt.Errorf("CA %s: %w", caFile, err)
	}
	chain, err := parseCertificates(kp.certPEM)
	if err != nil {
		return Bundle{}, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	if !chainsTo(chain, cas) {
		return Bundle{}, fmt.Errorf("%w: certificate %s, CA %s", ErrNotSignedByCA, certFile, caFile)
	}
	b.CAPEM, b.CAFile = caPEM, caFile
	return b, nil
}

// servesTLS reports whether c may be used by a TLS server; a certificate
// without extended key usages may be used for anything.
func servesTLS(c *x509.Certificate) bool {
	return len(c.ExtKeyUsage) == 0 ||
		slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) ||
		slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// chainsTo reports whether the leaf chain[0] is signed by one of cas, directly
// or through the intermediates that follow it in chain. It checks signatures
// only, not validity periods, so that the answer does not depend on a clock.
func chainsTo(chain, cas []*x509.Certificate) bool {
	cur := chain[0]
	for i := 1; ; i++ {
		for _, ca := range cas {
			if cur.Equal(ca) || cur.CheckSignatureFrom(ca) == nil {
				return true
			}
		}
		if i >= len(chain) || cur.CheckSignatureFrom(chain[i]) != nil {
			return false
		}
		cur = chain[i]
	}
}

package certs

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Errors about user-provided material. Compare with errors.Is.
var (
	// ErrKeyMismatch: the private key is not the one of the certificate.
	ErrKeyMismatch = errors.New("private key does not match certificate")
	// ErrNoPEM: the file holds no PEM block of the expected type.
	ErrNoPEM = errors.New("no PEM data of the expected type")
	// ErrNotSignedByCA: the serving certificate does not chain to the CA.
	ErrNotSignedByCA = errors.New("certificate is not signed by the CA")
)

// parseCertificates parses every CERTIFICATE block of data, leaf first.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: want CERTIFICATE", ErrNoPEM)
	}
	return certs, nil
}

// parseKey parses the first private key block of data, in any of the
// encodings openssl and cert-manager produce (PKCS#8, SEC 1, PKCS#1).
func parseKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%w: want PRIVATE KEY", ErrNoPEM)
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		var key any
		var err error
		switch block.Type {
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported private key type %T", key)
		}
		return signer, nil
	}
}

// pemBlock encodes der as one PEM block of type typ.
func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

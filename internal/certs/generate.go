package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Lifetimes of generated certificates. The CA outlives many serving
// certificates so that the kube-apiserver webhook kubeconfigs, which embed the
// CA, keep working when the serving certificate is reissued.
const (
	caLifetime      = 10 * 365 * 24 * time.Hour
	servingLifetime = 365 * 24 * time.Hour
	// backdate tolerates clocks on other machines that run slightly behind.
	backdate = time.Hour
)

// Common names of generated certificates, visible in `openssl x509 -text`.
const (
	caCommonName       = "kubeiam-ca"
	servingCommonName  = "kubeiam-webhook"
	clientCACommonName = "kubeiam-client-ca"
	// ClientCommonName is the subject of the client certificate that
	// kube-apiserver presents to the webhooks.
	ClientCommonName = "kube-apiserver"
)

// ErrNoHosts is returned when a serving certificate is requested for no host.
var ErrNoHosts = errors.New("no hosts for the serving certificate")

// keyPair is a certificate with its private key, both parsed and PEM-encoded.
type keyPair struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte
	keyPEM  []byte
}

// splitHosts sorts hosts into IP and DNS SANs. IPv6 addresses may be given
// bracketed ("[::1]") as they appear in URLs.
func splitHosts(hosts []string) ([]net.IP, []string, error) {
	if len(hosts) == 0 {
		return nil, nil, ErrNoHosts
	}
	var ips []net.IP
	var names []string
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); ip != nil {
			ips = append(ips, ip)
			continue
		}
		if h == "" || strings.ContainsAny(h, " /:[]") {
			return nil, nil, fmt.Errorf("invalid host %q for the serving certificate", h)
		}
		names = append(names, strings.ToLower(h))
	}
	return ips, names, nil
}

// newCA creates a self-signed ECDSA P-256 CA valid for caLifetime from now.
func newCA(now time.Time) (keyPair, error) { return newNamedCA(caCommonName, now) }

// newNamedCA creates a CA like newCA with the given common name.
func newNamedCA(cn string, now time.Time) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return keyPair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		// The CA only ever signs leaves.
		MaxPathLenZero: true,
	}
	return sign(tmpl, tmpl, key, key)
}

// newServing creates a serving certificate for hosts signed by ca, valid for
// servingLifetime from now but never beyond the CA.
func newServing(ca keyPair, hosts []string, now time.Time) (keyPair, error) {
	ips, names, err := splitHosts(hosts)
	if err != nil {
		return keyPair{}, err
	}
	return newLeaf(ca, now, "serving", &x509.Certificate{
		Subject:     pkix.Name{CommonName: servingCommonName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: ips,
		DNSNames:    names,
	})
}

// newClient creates a client certificate (client authentication only) for
// cn signed by ca, valid for servingLifetime from now but never beyond the CA.
func newClient(ca keyPair, cn string, now time.Time) (keyPair, error) {
	return newLeaf(ca, now, "client", &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// newLeaf completes tmpl (its subject, usages and names set by the caller)
// with a new key, a serial number and a lifetime of servingLifetime from now,
// never beyond the CA's, and signs it with ca. kind names the key in errors.
func newLeaf(ca keyPair, now time.Time, kind string, tmpl *x509.Certificate) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generate %s key: %w", kind, err)
	}
	if tmpl.SerialNumber, err = newSerial(); err != nil {
		return keyPair{}, err
	}
	tmpl.NotBefore = now.Add(-backdate)
	tmpl.NotAfter = now.Add(servingLifetime)
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	return sign(tmpl, ca.cert, key, ca.key)
}

// sign issues tmpl for key, signed by parent's key, and PEM-encodes both.
func sign(tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, parentKey crypto.Signer) (keyPair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return keyPair{}, fmt.Errorf("sign certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return keyPair{}, fmt.Errorf("parse certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return keyPair{}, fmt.Errorf("encode key for %q: %w", tmpl.Subject.CommonName, err)
	}
	return keyPair{
		cert:    cert,
		key:     key,
		certPEM: pemBlock("CERTIFICATE", der),
		keyPEM:  pemBlock("PRIVATE KEY", keyDER),
	}, nil
}

// newSerial returns a random 128-bit serial number, as RFC 5280 recommends
// serials that are unpredictable.
func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return serial, nil
}

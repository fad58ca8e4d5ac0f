package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"time"
)

// Names of the files EnsureClient keeps in its directory.
const (
	ClientCAFileName    = "client-ca.crt"
	ClientCAKeyFileName = "client-ca.key"
	ClientCertFileName  = "kube-apiserver-client.crt"
	ClientKeyFileName   = "kube-apiserver-client.key"
)

// ClientBundle is the mutual-TLS material of the webhooks: the CA kubeiam
// trusts for webhook clients, and the client certificate kube-apiserver
// presents (carried in the webhook kubeconfigs).
type ClientBundle struct {
	CAPEM, CertPEM, KeyPEM    []byte
	CAFile, CertFile, KeyFile string
}

// Certificate returns the client certificate for a tls.Config.
func (c ClientBundle) Certificate() (tls.Certificate, error) {
	pair, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load client key pair: %w", err)
	}
	return pair, nil
}

// EnsureClient returns the client material kept in dir, creating what is
// missing or unusable, as EnsureServing does for the serving side: a client
// CA (client-ca.crt, client-ca.key, ECDSA P-256, 10 years) separate from the
// serving CA, so that trusting it for clients never lets a serving
// certificate in, and a client certificate for ClientCommonName valid 1 year
// for client authentication only (kube-apiserver-client.crt, .key). A valid
// CA is kept while the client certificate is reissued; when the CA is
// replaced, the webhook kubeconfigs must be rewritten.
func EnsureClient(dir string, now func() time.Time) (ClientBundle, error) {
	if now == nil {
		now = time.Now
	}
	if err := ensureDir(dir); err != nil {
		return ClientBundle{}, err
	}
	t := now()
	caFile, caKeyFile := filepath.Join(dir, ClientCAFileName), filepath.Join(dir, ClientCAKeyFileName)
	certFile, keyFile := filepath.Join(dir, ClientCertFileName), filepath.Join(dir, ClientKeyFileName)
	ca, err := readCA(caFile, caKeyFile, t)
	caIssued := false
	if err != nil {
		if ca, err = newNamedCA(clientCACommonName, t); err != nil {
			return ClientBundle{}, err
		}
		if err := writePair(caFile, caKeyFile, ca); err != nil {
			return ClientBundle{}, err
		}
		caIssued = true
	}
	var client keyPair
	if !caIssued {
		client, err = readClient(certFile, keyFile, ca, t)
	}
	if caIssued || err != nil {
		if client, err = newClient(ca, ClientCommonName, t); err != nil {
			return ClientBundle{}, err
		}
		if err := writePair(certFile, keyFile, client); err != nil {
			return ClientBundle{}, err
		}
	}
	return ClientBundle{
		CAPEM: ca.certPEM, CertPEM: client.certPEM, KeyPEM: client.keyPEM,
		CAFile: caFile, CertFile: certFile, KeyFile: keyFile,
	}, nil
}

// readClient loads a client pair usable at t, issued by ca.
func readClient(certFile, keyFile string, ca keyPair, t time.Time) (keyPair, error) {
	return readLeaf(certFile, keyFile, ca, t, x509.ExtKeyUsageClientAuth)
}

// ClientCAPool returns a pool of the CAs in every PEM given, for
// tls.Config.ClientCAs.
func ClientCAPool(pems ...[]byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, p := range pems {
		cas, err := parseCertificates(p)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		for _, c := range cas {
			pool.AddCert(c)
		}
	}
	return pool, nil
}

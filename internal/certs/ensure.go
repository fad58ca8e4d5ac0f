package certs

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Names of the files EnsureServing keeps in its directory, the names
// Kubernetes uses for TLS secrets.
const (
	CAFileName    = "ca.crt"
	CAKeyFileName = "ca.key"
	CertFileName  = "tls.crt"
	KeyFileName   = "tls.key"
)

// RenewBefore is how long before expiry EnsureServing replaces a certificate,
// so that a restart during the last month never leaves a server whose
// certificate expires before the next restart.
const RenewBefore = 30 * 24 * time.Hour

// EnsureServing returns the serving material kept in dir, creating what is
// missing or unusable: a self-signed ECDSA P-256 CA valid 10 years
// (ca.crt, ca.key) and a serving certificate valid 1 year for hosts
// (tls.crt, tls.key). Hosts that parse as IP addresses become IP SANs, the
// others DNS SANs.
//
// A valid CA is kept even when the serving certificate must be reissued (new
// hosts, near expiry), because kube-apiserver's webhook kubeconfigs embed the
// CA. When the CA itself is replaced, the serving certificate is too, and the
// caller must rewrite the webhook kubeconfigs (WriteWebhookKubeconfig), which
// is why it should write them on every start.
//
// Material is "usable" when it parses, the key matches the certificate, it is
// valid at now and for at least RenewBefore more, and the serving certificate
// chains to the CA for server authentication and covers every host.
//
// dir is created with mode 0700 if missing (an existing dir keeps its mode);
// keys are written 0600 and certificates 0644, each atomically. The directory
// belongs to kubeiam: unusable files in it are overwritten. now defaults to
// time.Now.
func EnsureServing(dir string, hosts []string, now func() time.Time) (Bundle, error) {
	if now == nil {
		now = time.Now
	}
	if _, _, err := splitHosts(hosts); err != nil {
		return Bundle{}, err
	}
	if err := ensureDir(dir); err != nil {
		return Bundle{}, err
	}
	t := now()
	caFile, caKeyFile := filepath.Join(dir, CAFileName), filepath.Join(dir, CAKeyFileName)
	certFile, keyFile := filepath.Join(dir, CertFileName), filepath.Join(dir, KeyFileName)

	ca, err := readCA(caFile, caKeyFile, t)
	caIssued := false
	if err != nil {
		if ca, err = newCA(t); err != nil {
			return Bundle{}, err
		}
		if err := writePair(caFile, caKeyFile, ca); err != nil {
			return Bundle{}, err
		}
		caIssued = true
	}

	var serving keyPair
	if !caIssued {
		serving, err = readServing(certFile, keyFile, ca, hosts, t)
	}
	if caIssued || err != nil {
		if serving, err = newServing(ca, hosts, t); err != nil {
			return Bundle{}, err
		}
		if err := writePair(certFile, keyFile, serving); err != nil {
			return Bundle{}, err
		}
	}
	return Bundle{
		CAPEM:    ca.certPEM,
		CertPEM:  serving.certPEM,
		KeyPEM:   serving.keyPEM,
		CAFile:   caFile,
		CertFile: certFile,
		KeyFile:  keyFile,
	}, nil
}

// writePair writes the key before the certificate: a crash in between leaves
// a mismatched pair, which the next EnsureServing detects and replaces.
func writePair(certFile, keyFile string, kp keyPair) error {
	if err := writeAtomic(keyFile, kp.keyPEM, keyMode); err != nil {
		return err
	}
	return writeAtomic(certFile, kp.certPEM, certMode)
}

// readPair reads and parses a certificate and its key, checking they match.
func readPair(certFile, keyFile string) (keyPair, error) {
	certPEM, err := ReadPEMFile(certFile)
	if err != nil {
		return keyPair{}, fmt.Errorf("read certificate: %w", err)
	}
	keyPEM, err := ReadPEMFile(keyFile)
	if err != nil {
		return keyPair{}, fmt.Errorf("read key: %w", err)
	}
	return parsePair(certPEM, keyPEM, certFile, keyFile)
}

// parsePair parses a PEM certificate chain and its key and checks that they
// belong together; the names are used in errors only.
func parsePair(certPEM, keyPEM []byte, certName, keyName string) (keyPair, error) {
	chain, err := parseCertificates(certPEM)
	if err != nil {
		return keyPair{}, fmt.Errorf("certificate %s: %w", certName, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return keyPair{}, fmt.Errorf("key %s: %w", keyName, err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(chain[0].PublicKey) {
		return keyPair{}, fmt.Errorf("%w: certificate %s, key %s", ErrKeyMismatch, certName, keyName)
	}
	return keyPair{cert: chain[0], key: key, certPEM: certPEM, keyPEM: keyPEM}, nil
}

// readCA loads a CA pair usable at t.
func readCA(certFile, keyFile string, t time.Time) (keyPair, error) {
	ca, err := readPair(certFile, keyFile)
	if err != nil {
		return keyPair{}, err
	}
	c := ca.cert
	if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		return keyPair{}, fmt.Errorf("%s is not a CA certificate", certFile)
	}
	if err := checkLifetime(c, t); err != nil {
		return keyPair{}, fmt.Errorf("CA %s: %w", certFile, err)
	}
	return ca, nil
}

// readServing loads a serving pair usable at t for hosts, issued by ca.
func readServing(certFile, keyFile string, ca keyPair, hosts []string, t time.Time) (keyPair, error) {
	kp, err := readLeaf(certFile, keyFile, ca, t, x509.ExtKeyUsageServerAuth)
	if err != nil {
		return keyPair{}, err
	}
	for _, h := range hosts {
		h = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h), "["), "]")
		if err := kp.cert.VerifyHostname(h); err != nil {
			return keyPair{}, fmt.Errorf("certificate %s: %w", certFile, err)
		}
	}
	return kp, nil
}

// errExpiring marks a certificate that is, or is about to be, out of date.
var errExpiring = errors.New("not valid now or expires within the renewal window")

// checkLifetime requires c to be valid at t and for RenewBefore more.
func checkLifetime(c *x509.Certificate, t time.Time) error {
	if t.Before(c.NotBefore) || !t.Add(RenewBefore).Before(c.NotAfter) {
		return fmt.Errorf("%w (valid %s to %s)", errExpiring,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// readLeaf loads a pair usable at t for usage, issued by ca.
func readLeaf(certFile, keyFile string, ca keyPair, t time.Time, usage x509.ExtKeyUsage) (keyPair, error) {
	kp, err := readPair(certFile, keyFile)
	if err != nil {
		return keyPair{}, err
	}
	if err := checkLifetime(kp.cert, t); err != nil {
		return keyPair{}, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	opts := x509.VerifyOptions{Roots: roots, CurrentTime: t, KeyUsages: []x509.ExtKeyUsage{usage}}
	if _, err := kp.cert.Verify(opts); err != nil {
		return keyPair{}, fmt.Errorf("certificate %s: %w", certFile, err)
	}
	return kp, nil
}

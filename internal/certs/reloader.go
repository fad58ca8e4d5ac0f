package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// DefaultReloadInterval is how often a Reloader polls its files.
const DefaultReloadInterval = 10 * time.Second

// ReloaderOptions configures a Reloader. The zero value is usable.
type ReloaderOptions struct {
	// Interval between polls; DefaultReloadInterval when zero.
	Interval time.Duration
	// Logger receives reload logs; slog.Default() when nil.
	Logger *slog.Logger
}

// Reloader serves a certificate and key from files that an outside tool
// (cert-manager, a kubelet-mounted Secret) rotates, without a restart. It
// polls the files and swaps in a new pair once both parse and match; a pair
// caught mid-rotation (certificate written, key not yet) is skipped and the
// current one kept, so the server never presents a broken pair.
type Reloader struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]
	running           atomic.Bool

	// Owned by the Run goroutine: the file contents last looked at.
	lastCert, lastKey []byte
}

// NewReloader loads certFile and keyFile, failing as LoadServing does when
// they are unreadable or do not match.
func NewReloader(certFile, keyFile string, opts ReloaderOptions) (*Reloader, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultReloadInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, interval: opts.Interval,
		log: opts.Logger.With("cert", certFile, "key", keyFile)}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// Run polls the files until ctx is done and returns nil; it fails only when
// called twice.
func (r *Reloader) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("certificate reloader is already running")
	}
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			r.poll()
		}
	}
}

// GetCertificate returns the current pair; it fits tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// TLSConfig returns a server configuration that presents the current pair,
// with TLS 1.2 as the minimum version.
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// poll reloads the pair when a file changed, keeping the current one when
// the new files are unusable.
func (r *Reloader) poll() {
	certPEM, certErr := ReadPEMFile(r.certFile)
	keyPEM, keyErr := ReadPEMFile(r.keyFile)
	if err := errors.Join(certErr, keyErr); err != nil {
		r.log.Warn("serving certificate unreadable; keeping the current one", "error", err)
		return
	}
	if bytes.Equal(certPEM, r.lastCert) && bytes.Equal(keyPEM, r.lastKey) {
		return
	}
	r.lastCert, r.lastKey = certPEM, keyPEM
	leaf, err := r.use(certPEM, keyPEM)
	if err != nil {
		r.log.Warn("serving certificate rejected; keeping the current one", "error", err)
		return
	}
	r.log.Info("serving certificate reloaded", "not_after", leaf.NotAfter)
}

// load reads both files and uses them.
func (r *Reloader) load() error {
	kp, err := readPair(r.certFile, r.keyFile)
	if err != nil {
		return err
	}
	r.lastCert, r.lastKey = kp.certPEM, kp.keyPEM
	_, err = r.use(kp.certPEM, kp.keyPEM)
	return err
}

// use makes the pair current if it parses and matches, and returns its leaf.
func (r *Reloader) use(certPEM, keyPEM []byte) (*x509.Certificate, error) {
	kp, err := parsePair(certPEM, keyPEM, r.certFile, r.keyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load key pair %s, %s: %w", r.certFile, r.keyFile, err)
	}
	r.cur.Store(&pair)
	return kp.cert, nil
}

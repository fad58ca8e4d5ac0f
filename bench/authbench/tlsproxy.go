package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"
)

// writeCA creates the run's certificate authority: ca.pem (what clients
// trust through SSL_CERT_FILE) and ca-key.pem, for the proxy to sign the
// certificates of the hosts it stands in for.
func writeCA(dir string) (certPath, keyPath string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubeiam authbench CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certPath, keyPath = dir+"/ca.pem", dir+"/ca-key.pem"
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	return certPath, keyPath, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

// issuer signs leaf certificates for any host with the run's CA.
type issuer struct {
	ca    *x509.Certificate
	key   *ecdsa.PrivateKey
	mu    sync.Mutex
	certs map[string]*tls.Certificate
}

func loadIssuer(certPath, keyPath string) (*issuer, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	cblock, _ := pem.Decode(cb)
	kblock, _ := pem.Decode(kb)
	if cblock == nil || kblock == nil {
		return nil, errors.New("CA files are not PEM")
	}
	ca, err := x509.ParseCertificate(cblock.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(kblock.Bytes)
	if err != nil {
		return nil, err
	}
	return &issuer{ca: ca, key: key, certs: map[string]*tls.Certificate{}}, nil
}

func (is *issuer) certFor(host string) (*tls.Certificate, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if c, ok := is.certs[host]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, is.ca, &key.PublicKey, is.key)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	is.certs[host] = c
	return c, nil
}

// runProxy is the "proxy" role: an HTTPS proxy (HTTPS_PROXY) on listen
// that terminates each CONNECT tunnel with TLS, presenting a certificate
// for the requested host from the run's CA, and forwards the requests in
// it to the local STS at upstream (plain HTTP on loopback), Host header
// unchanged. Both servers reach "STS" the way they would in production:
// over TLS to sts.<region>.amazonaws.com, through the standard proxy
// variables, and nothing leaves the machine.
func runProxy(listen, upstream, caCert, caKey string) error {
	is, err := loadIssuer(caCert, caKey)
	if err != nil {
		return err
	}
	up, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(up)
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
		ErrorLog:  nil,
	}
	tunnels := newChanListener()
	inner := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = inner.Serve(tunnels) }()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return nil
		}
		go connect(c, is, tunnels)
	}
}

// connect reads a CONNECT request from c, answers 200, and hands the TLS
// server side of the tunnel to the inner HTTP server.
func connect(c net.Conn, is *issuer, tunnels *chanListener) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		_, _ = fmt.Fprint(c, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
		c.Close()
		return
	}
	host := req.URL.Hostname()
	if host == "" {
		host, _, _ = strings.Cut(req.Host, ":")
	}
	// One line per tunnel, to count the connections each server opens.
	fmt.Fprintf(os.Stderr, "CONNECT %s from %s\n", req.Host, c.RemoteAddr())
	if _, err := fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		c.Close()
		return
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host
			}
			return is.certFor(name)
		},
	}
	tunnels.ch <- tls.Server(&bufferedConn{Conn: c, r: br}, cfg)
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// chanListener is a net.Listener fed with connections from a channel.
type chanListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

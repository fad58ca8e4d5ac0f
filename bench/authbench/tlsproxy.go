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
	"io"
	"math/big"
	"net"
	"net/http"
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
// for the requested host from the run's CA, and splices the tunnel's
// plain bytes to a connection of its own to the local STS at upstream
// (plain HTTP on loopback): the requests reach STS byte for byte, Host
// header included, on one upstream connection per tunnel. Both servers
// reach "STS" the way they would in production: over TLS to
// sts.<region>.amazonaws.com, through the standard proxy variables, and
// nothing leaves the machine. The proxy does no HTTP of its own, so its
// CPU per request is TLS records and copies (and a handshake per tunnel):
// the part of real STS's work that a client's connection handling decides.
func runProxy(listen, upstream, caCert, caKey string) error {
	is, err := loadIssuer(caCert, caKey)
	if err != nil {
		return err
	}
	up, err := url.Parse(upstream)
	if err != nil {
		return err
	}
	if up.Scheme != "http" || up.Host == "" {
		return fmt.Errorf("proxy: upstream %q: want http://HOST:PORT", upstream)
	}
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
		go connect(c, is, up.Host)
	}
}

// connect reads a CONNECT request from c, answers 200, terminates TLS on
// the tunnel and splices it to a new connection to upstream.
func connect(c net.Conn, is *issuer, upstream string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		_, _ = fmt.Fprint(c, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n\r\n")
		return
	}
	host := req.URL.Hostname()
	if host == "" {
		host, _, _ = strings.Cut(req.Host, ":")
	}
	// One line per tunnel, to count the connections each server opens.
	fmt.Fprintf(os.Stderr, "CONNECT %s from %s\n", req.Host, c.RemoteAddr())
	if _, err := fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	cfg := &tls.Config{
		// HTTP/1.1 only: the bytes go to STS as they come, and the local
		// STS speaks HTTP/1.1 in plain text.
		MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host
			}
			return is.certFor(name)
		},
	}
	client := tls.Server(&bufferedConn{Conn: c, r: br}, cfg)
	if err := client.Handshake(); err != nil {
		return
	}
	sts, err := net.Dial("tcp", upstream)
	if err != nil {
		fmt.Fprintf(os.Stderr, "proxy: %v\n", err)
		return
	}
	defer sts.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(sts, client)
		// The client is done sending: let STS see the end, and finish
		// the answer in flight.
		_ = sts.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	_, _ = io.Copy(client, sts)
	_ = client.CloseWrite()
	<-done
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

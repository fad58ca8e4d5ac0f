package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"
)

// fixedReview is what the baseline answers to every TokenReview: the
// answer kubeiam gives the benchmark's developer.
var fixedReview = []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","status":{"authenticated":true,"user":{"username":"developer","uid":"kubeiam:111122223333:AIDA","groups":["developers"]}}}` + "\n")

// runBaseline is the "baseline" role: the trivial Go handler kubeiam's
// warm path is compared with, over TLS (a certificate from the run's CA),
// in a process of its own like the servers.
func runBaseline(listen, caCert, caKey string) error {
	is, err := loadIssuer(caCert, caKey)
	if err != nil {
		return err
	}
	cert, err := is.certFor("127.0.0.1")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr: listen, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(fixedReview)
		}),
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		srv.Close()
	}()
	if err := srv.ListenAndServeTLS("", ""); err != http.ErrServerClosed {
		return err
	}
	return nil
}

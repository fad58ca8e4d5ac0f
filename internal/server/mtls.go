package server

import (
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/kubeiam/kubeiam/internal/certs"
)

// writeState writes the files kube-apiserver needs (WriteState) for the
// listener's address, or for the URL "kubeiam init" recorded, and returns
// the listener's TLS configuration.
func (s *Server) writeState() (*tls.Config, error) {
	st, err := WriteState(StateOptions{
		Dir: s.cfg.StateDir, FallbackURL: listenerURL(s.ln.Addr()),
		Hosts: servingHosts(s.cfg.Listen), TLS: s.cfg.TLS, Now: s.opts.Now,
	})
	if err != nil {
		return nil, err
	}
	s.bundle, s.client = st.Serving, st.Client
	tlsCfg, err := s.bundle.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	pems := [][]byte{st.Client.CAPEM}
	if f := s.cfg.TLS.ClientCAFile; f != "" {
		extra, err := certs.ReadPEMFile(f)
		if err != nil {
			return nil, fmt.Errorf("tls.clientCAFile: %w", err)
		}
		pems = append(pems, extra)
	}
	if tlsCfg.ClientCAs, err = certs.ClientCAPool(pems...); err != nil {
		return nil, fmt.Errorf("tls.clientCAFile: %w", err)
	}
	// A client certificate is verified when one is given, and required
	// per route (webhookClientOnly), not in the handshake: the same
	// listener serves /healthz, /readyz and /metrics to kubelet probes and
	// Prometheus, and the access-management API to callers who
	// authenticate with tokens or SigV4, none of which has a client
	// certificate. A certificate that is given but does not verify fails
	// the handshake.
	tlsCfg.ClientAuth = tls.VerifyClientCertIfGiven
	return tlsCfg, nil
}

// requireClientCert reports whether the webhooks refuse callers without a
// verified client certificate.
func (s *Server) requireClientCert() bool {
	return s.cfg.TLS.RequireClientCert == nil || *s.cfg.TLS.RequireClientCert
}

// webhookClientOnly lets only callers with a verified client certificate
// (kube-apiserver, through the webhook kubeconfigs) reach h, unless mutual
// TLS is turned off. Anyone else could otherwise turn the webhook into an
// oracle for tokens and a way to make kubeiam call STS.
func (s *Server) webhookClientOnly(h http.Handler) http.Handler {
	if !s.requireClientCert() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("a client certificate issued by kubeiam's client CA is required (use the webhook kubeconfig in the state directory)\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// WebhookClient is the client certificate material the webhook
// kubeconfigs carry.
func (s *Server) WebhookClient() certs.ClientBundle { return s.client }

package server

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/kubeiam/kubeiam/internal/api"
	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/certs"
	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// setupAPI builds the access-management API. Callers authenticate with a
// k8s-aws-v1 bearer token for the API's audience ("kubeiam token --audience
// api", verified through STS; a kubectl token for the cluster is refused)
// or, in dev mode, with SigV4 signatures the local STS can check. Every
// call is audited to STATE/audit.log, one JSON line each.
//
// The diagnosis endpoints: decisions and explain are API-plane and
// authenticate their caller as the API does (an API token or SigV4);
// whoami evaluates the cluster token it is sent exactly as the TokenReview
// webhook would, and answers only its holder, so that it works for a
// caller nothing maps yet.
func (s *Server) setupAPI() error {
	f, err := os.OpenFile(filepath.Join(s.cfg.StateDir, auditLogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	s.audit = f
	chain := api.Chain{Bearer: api.BearerAuthenticator{Verifier: s.apiVerifier}}
	if s.opts.LocalSTS != nil {
		chain.SigV4 = api.SigV4Authenticator{Verify: s.opts.LocalSTS.AuthenticateRequest, Region: s.cluster.Region}
	}
	caPEM, err := kubernetesCA(s.cfg.Kubernetes.CAFile)
	if err != nil {
		return err
	}
	h, err := api.New(api.Config{
		Store: s.store, Authenticator: chain, CreatorARN: s.cluster.CreatorARN, Managers: s.cfg.Managers,
		Metrics: s.metrics, Logger: s.log, Audit: f, Now: s.opts.Now, PrincipalIDs: s.opts.PrincipalIDs,
		Endpoint: s.cfg.Kubernetes.Endpoint, CertificateAuthority: caPEM,
	})
	if err != nil {
		return fmt.Errorf("access-management API: %w", err)
	}
	s.api = h
	s.diag = diag.New(diag.Config{
		Decisions: s.decision, Tokens: s.authn, Snapshots: s.mapper, ResolveOptions: s.mapper.ResolveOptions(),
		Managers: chain, IsManager: s.isManager,
		RejectedAWSAuth: s.rejectedAWSAuth, AWSAuthFile: s.cfg.AWSAuth.File,
		ClusterName: s.cfg.ClusterID, CreatorHint: s.opts.LocalSTS != nil,
		Now: s.opts.Now, Logger: s.log,
	})
	return nil
}

// kubernetesCA reads the API server's CA that DescribeCluster reports; none
// when path is empty.
func kubernetesCA(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := certs.ReadPEMFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubernetes.caFile: %w", err)
	}
	if block, _ := pem.Decode(data); block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("kubernetes.caFile %s: no PEM certificate", path)
	}
	return data, nil
}

// isManager reports whether id may read decisions and explain others'
// access: the cluster creator and the configured managers, matched by
// principal key (so a manager role's sessions count).
func (s *Server) isManager(id identity.Identity) bool {
	key := id.Key()
	for _, m := range append([]string{s.cluster.CreatorARN}, s.cfg.Managers...) {
		if k, err := arn.Key(m); err == nil && k == key {
			return true
		}
	}
	return false
}

// mountAPI mounts the access-management API and the diagnosis endpoints
// (decisions, whoami, explain) on mux.
func (s *Server) mountAPI(mux *http.ServeMux) {
	// "/clusters" itself too: ServeMux would answer ListClusters with a
	// redirect to "/clusters/".
	mux.Handle("/clusters", s.api)
	mux.Handle("/clusters/", s.api)
	mux.Handle("/tags/", s.api)
	mux.Handle("/access-policies", s.api)
	mux.Handle("/kubeiam/v1/", s.diag)
}

// close releases the store and the audit log.
func (s *Server) close() {
	if s.audit != nil {
		_ = s.audit.Close()
	}
	_ = s.store.Close()
}

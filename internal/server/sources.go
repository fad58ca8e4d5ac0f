package server

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/awsauthsource"
	"github.com/kubeiam/kubeiam/internal/explain"
)

// source is one running aws-auth source.
type source struct {
	name   string
	run    func(ctx context.Context) error
	status func() awsauthsource.Status
	synced func() bool
	// file is the path of a file source, "" for the ConfigMap.
	file string
	// seen is the Errors count already exported to metrics.
	seen uint64
}

// setupSources builds the configured aws-auth sources. With none
// configured, the aws-auth mapping is empty.
func (s *Server) setupSources() error {
	cfg := s.cfg.AWSAuth
	if cfg.File != "" {
		name := "aws-auth file " + cfg.File
		src, err := awsauthsource.NewFileSource(cfg.File, s.sink(name), awsauthsource.FileOptions{Logger: s.log, Now: s.opts.Now})
		if err != nil {
			return fmt.Errorf("awsAuth.file: %w", err)
		}
		s.addSource(name, src.Run, src.Status, src.HasSynced)
		s.sources[len(s.sources)-1].file = cfg.File
	}
	if cfg.ConfigMap {
		client := s.opts.KubeClient
		if client == nil {
			rc, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
			if err != nil {
				return fmt.Errorf("awsAuth.kubeconfig: %w", err)
			}
			if client, err = kubernetes.NewForConfig(rc); err != nil {
				return fmt.Errorf("awsAuth.kubeconfig: %w", err)
			}
		}
		name := "aws-auth configmap " + cfg.Namespace + "/" + cfg.Name
		src, err := awsauthsource.NewConfigMapSource(client, s.sink(name), awsauthsource.ConfigMapOptions{
			Namespace: cfg.Namespace, Name: cfg.Name, Logger: s.log, Now: s.opts.Now,
		})
		if err != nil {
			return fmt.Errorf("awsAuth.configMap: %w", err)
		}
		s.addSource(name, src.Run, src.Status, src.HasSynced)
	}
	return nil
}

func (s *Server) addSource(name string, run func(context.Context) error, status func() awsauthsource.Status, synced func() bool) {
	src := &source{name: name, run: run, status: status, synced: synced}
	s.sources = append(s.sources, *src)
	s.checks = append(s.checks, func() Check {
		st := status()
		c := Check{Name: name, Ready: synced(), Healthy: st.Healthy}
		switch {
		case !c.Ready:
			c.Detail = "not synced yet"
		case st.LastError != "":
			c.Detail = rejectedDetail(st)
		case st.Deleted:
			c.Detail = "deleted: the aws-auth mapping is empty"
		default:
			c.Detail = "version " + orNone(st.LastVersion)
		}
		return c
	})
}

// rejectedAWSAuth returns, for each source whose newest version was
// rejected, that version, for explain and whoami.
func (s *Server) rejectedAWSAuth() []explain.RejectedAWSAuth {
	var out []explain.RejectedAWSAuth
	for i := range s.sources {
		src := &s.sources[i]
		st := src.status()
		if r := st.Rejected; r != nil {
			out = append(out, explain.RejectedAWSAuth{Source: src.name, File: src.file, Version: r.Version,
				InForce: st.LastVersion, Error: r.Error, Data: r.Data, Text: r.Text})
		}
	}
	return out
}

// rejectedDetail describes a source whose latest input was rejected: the
// last good version stays in force, or, when none was ever accepted, the
// mapping is empty (never a zero time: "since 0001-01-01T00:00:00Z").
func rejectedDetail(st awsauthsource.Status) string {
	if st.LastGood.IsZero() {
		return "no good version yet, so the aws-auth mapping is empty; latest input rejected: " + st.LastError
	}
	return fmt.Sprintf("last good version %s (since %s) stays in force; latest input rejected: %s",
		orNone(st.LastVersion), st.LastGood.UTC().Format(time.RFC3339), st.LastError)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// sink applies an accepted aws-auth version. Rejected versions never get
// here (the source keeps them out), so the mapping never half-applies.
func (s *Server) sink(name string) awsauthsource.Sink {
	return func(u awsauthsource.Update) {
		s.mapper.SetAWSAuth(u.Doc)
		s.metrics.SourceReloads.WithLabelValues(name, "ok").Inc()
		s.setMappingGauges(u.Doc)
	}
}

func (s *Server) setMappingGauges(doc *awsauth.Document) {
	var roles, users, accounts int
	if doc != nil {
		roles, users, accounts = len(doc.Roles), len(doc.Users), len(doc.Accounts)
	}
	s.metrics.Mappings.WithLabelValues("mapRoles").Set(float64(roles))
	s.metrics.Mappings.WithLabelValues("mapUsers").Set(float64(users))
	s.metrics.Mappings.WithLabelValues("mapAccounts").Set(float64(accounts))
}

// syncSourceMetrics exports each source's health and rejection count.
func (s *Server) syncSourceMetrics(ctx context.Context) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		for i := range s.sources {
			src := &s.sources[i]
			st := src.status()
			healthy := 0.0
			if st.Healthy {
				healthy = 1
			}
			s.metrics.SourceHealthy.WithLabelValues(src.name).Set(healthy)
			if st.Errors > src.seen {
				s.metrics.SourceReloads.WithLabelValues(src.name, "rejected").Add(float64(st.Errors - src.seen))
				src.seen = st.Errors
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Package metrics defines kubeiam's Prometheus metrics on a registry of its
// own (no global registry), so tests and several servers in one process do
// not collide.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every collector the server updates.
type Metrics struct {
	Registry *prometheus.Registry

	// Requests counts webhook requests by endpoint and result
	// (granted, denied, invalid, expired, throttled, unavailable, error).
	Requests *prometheus.CounterVec
	// Latency observes webhook request latency by endpoint and result.
	Latency *prometheus.HistogramVec
	// STSCalls counts calls to STS by outcome and region.
	STSCalls *prometheus.CounterVec
	// STSLatency observes STS call latency by region.
	STSLatency *prometheus.HistogramVec
	// CacheLookups counts identity cache lookups by result (hit, miss,
	// shared, negative-hit).
	CacheLookups *prometheus.CounterVec
	// RateLimited counts tokens refused (429) because their client was over
	// its STS rate limit.
	RateLimited prometheus.Counter
	// SourceReloads counts mapping source reloads by source and result (ok, rejected).
	SourceReloads *prometheus.CounterVec
	// SourceHealthy is 1 while a mapping source's last input was good.
	SourceHealthy *prometheus.GaugeVec
	// Mappings gauges the number of mappings by kind.
	Mappings *prometheus.GaugeVec
	// Authorizations counts authorization webhook answers by result (allowed, no-opinion, error).
	Authorizations *prometheus.CounterVec
	// APICalls counts access-management API calls by operation and status code.
	APICalls *prometheus.CounterVec
}

// New registers every collector on a fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "webhook_requests_total", Help: "Webhook requests by endpoint and result.",
		}, []string{"endpoint", "result"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kubeiam", Name: "webhook_request_duration_seconds", Help: "Webhook request latency by endpoint and result.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"endpoint", "result"}),
		STSCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "sts_calls_total", Help: "STS GetCallerIdentity calls by outcome and region.",
		}, []string{"outcome", "region"}),
		STSLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kubeiam", Name: "sts_call_duration_seconds", Help: "STS GetCallerIdentity latency by region.",
			Buckets: prometheus.DefBuckets,
		}, []string{"region"}),
		CacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "identity_cache_lookups_total", Help: "Verified-identity cache lookups by result.",
		}, []string{"result"}),
		RateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "sts_rate_limited_total", Help: "Tokens answered 429 because their client was over its STS rate limit.",
		}),
		SourceReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "mapping_source_reloads_total", Help: "Mapping source reloads by source and result.",
		}, []string{"source", "result"}),
		SourceHealthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "kubeiam", Name: "mapping_source_healthy", Help: "1 while the mapping source's latest input was accepted.",
		}, []string{"source"}),
		Mappings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "kubeiam", Name: "mappings", Help: "Mappings in force by kind.",
		}, []string{"kind"}),
		Authorizations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "authorization_decisions_total", Help: "Authorization webhook answers by result.",
		}, []string{"result"}),
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kubeiam", Name: "api_calls_total", Help: "Access-management API calls by operation and HTTP status.",
		}, []string{"operation", "code"}),
	}
	r.MustRegister(m.Requests, m.Latency, m.STSCalls, m.STSLatency, m.CacheLookups, m.RateLimited,
		m.SourceReloads, m.SourceHealthy, m.Mappings, m.Authorizations, m.APICalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

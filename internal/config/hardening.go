package config

import (
	"strings"
	"time"
)

// Hardening are the limits of authentication: how long a verified identity
// is trusted without asking STS again, which audiences a token serves, how
// long an authorization binding lives, and how fast one client may make
// kubeiam call STS.
type Hardening struct {
	// CacheTTL bounds how long a verified identity is served from the
	// cache (never beyond the token's own expiry). Default 1m.
	CacheTTL Duration `json:"cacheTTL"`
	// APIAudiences are kube-apiserver's --api-audiences (by default its
	// --service-account-issuer). When set, a TokenReview for other
	// audiences only is refused before any STS call.
	APIAudiences []string `json:"apiAudiences"`
	// BindingLifetime is how long the authorization binding handed out with
	// an identity stays valid; it must outlast kube-apiserver's
	// --authentication-token-webhook-cache-ttl (default 2m). Default 5m.
	BindingLifetime Duration `json:"bindingLifetime"`
	// STSRateLimit limits STS calls for tokens not yet verified, per client.
	STSRateLimit RateLimit `json:"stsRateLimit"`
}

// RateLimit is a token bucket per client.
type RateLimit struct {
	// PerSecond is the sustained rate; Burst the bucket size.
	PerSecond float64 `json:"perSecond"`
	Burst     int     `json:"burst"`
	// Clients bounds the number of buckets kept (least recently used
	// evicted).
	Clients int `json:"clients"`
}

// Defaults of the hardening settings.
const (
	// DefaultCacheTTL is half of kube-apiserver's own 2-minute token cache
	// (--authentication-token-webhook-cache-ttl): a key or session revoked
	// at STS stops working within about 3 minutes through both caches,
	// while a busy user still costs one STS call per minute.
	DefaultCacheTTL = time.Minute
	// DefaultBindingLifetime outlasts kube-apiserver's default 2-minute
	// token cache (which keeps serving the binding it got) with room for
	// clock skew, while a binding copied into an object (a
	// CertificateSigningRequest's extra) is useless minutes later.
	DefaultBindingLifetime = 5 * time.Minute
	// MaxCacheTTL is a token's own lifetime: caching longer is pointless.
	MaxCacheTTL = 15 * time.Minute
)

func (h *Hardening) defaults() {
	if h.CacheTTL.Duration == 0 {
		h.CacheTTL.Duration = DefaultCacheTTL
	}
	if h.BindingLifetime.Duration == 0 {
		h.BindingLifetime.Duration = DefaultBindingLifetime
	}
	if h.STSRateLimit.PerSecond == 0 {
		h.STSRateLimit.PerSecond = 25
	}
	if h.STSRateLimit.Burst == 0 {
		h.STSRateLimit.Burst = 50
	}
	if h.STSRateLimit.Clients == 0 {
		h.STSRateLimit.Clients = 10000
	}
}

func (h *Hardening) validate(add func(field, format string, args ...any)) {
	if d := h.CacheTTL.Duration; d < time.Second || d > MaxCacheTTL {
		add("cacheTTL", "%s must be between 1s and %s", d, MaxCacheTTL)
	}
	if d := h.BindingLifetime.Duration; d < time.Minute || d > time.Hour {
		add("bindingLifetime", "%s must be between 1m and 1h", d)
	}
	for i, a := range h.APIAudiences {
		if strings.TrimSpace(a) == "" || strings.ContainsAny(a, " \t\r\n") {
			add("apiAudiences", "entry %d %q must be non-empty without white space", i, a)
		}
	}
	r := h.STSRateLimit
	if r.PerSecond <= 0 || r.PerSecond > 100000 {
		add("stsRateLimit.perSecond", "%v must be above 0 and at most 100000", r.PerSecond)
	}
	if r.Burst < 1 || r.Burst > 1000000 {
		add("stsRateLimit.burst", "%d must be between 1 and 1000000", r.Burst)
	}
	if r.Clients < 1 || r.Clients > 1000000 {
		add("stsRateLimit.clients", "%d must be between 1 and 1000000", r.Clients)
	}
}

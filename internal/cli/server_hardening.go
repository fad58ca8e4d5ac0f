package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/kubeiam/kubeiam/internal/config"
)

// hardeningFlags are the flags of config.Hardening and of mutual TLS.
type hardeningFlags struct {
	cacheTTL, bindingLifetime string
	apiAudiences              []string
	clientCAFile              string
	requireClientCert         bool
	rate                      float64
	burst                     int
}

func (h *hardeningFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&h.cacheTTL, "cache-ttl", "", "how long a verified identity is trusted without asking STS again, at most the token's expiry (default 1m)")
	fl.StringSliceVar(&h.apiAudiences, "api-audiences", nil, "kube-apiserver's --api-audiences (default its service-account issuer): TokenReviews for other audiences only are refused")
	fl.StringVar(&h.bindingLifetime, "binding-lifetime", "", "lifetime of the authorization binding handed out with an identity; must outlast kube-apiserver's webhook token cache (default 5m)")
	fl.StringVar(&h.clientCAFile, "client-ca-file", "", "more CAs whose client certificates may call the webhooks, besides the generated client CA")
	fl.BoolVar(&h.requireClientCert, "require-client-cert", true, "refuse /authenticate and /authorize without a verified client certificate (mutual TLS; the generated webhook kubeconfigs carry one)")
	fl.Float64Var(&h.rate, "sts-rate-limit", 0, "STS calls per second for not-yet-verified tokens, per client (default 25)")
	fl.IntVar(&h.burst, "sts-rate-burst", 0, "burst of --sts-rate-limit (default 50)")
}

// apply copies the flags that were given over cfg.
func (h *hardeningFlags) apply(fl *pflag.FlagSet, cfg *config.Server) error {
	if fl.Changed("cache-ttl") {
		if err := cfg.CacheTTL.UnmarshalJSON([]byte(h.cacheTTL)); err != nil {
			return fmt.Errorf("--cache-ttl: %w", err)
		}
	}
	if fl.Changed("binding-lifetime") {
		if err := cfg.BindingLifetime.UnmarshalJSON([]byte(h.bindingLifetime)); err != nil {
			return fmt.Errorf("--binding-lifetime: %w", err)
		}
	}
	if fl.Changed("api-audiences") {
		cfg.APIAudiences = h.apiAudiences
	}
	if fl.Changed("client-ca-file") {
		cfg.TLS.ClientCAFile = h.clientCAFile
	}
	if fl.Changed("require-client-cert") {
		v := h.requireClientCert
		cfg.TLS.RequireClientCert = &v
	}
	if fl.Changed("sts-rate-limit") {
		cfg.STSRateLimit.PerSecond = h.rate
	}
	if fl.Changed("sts-rate-burst") {
		cfg.STSRateLimit.Burst = h.burst
	}
	return nil
}

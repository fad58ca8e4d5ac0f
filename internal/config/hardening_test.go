package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHardeningDefaults(t *testing.T) {
	c := valid()
	if c.CacheTTL.Duration != time.Minute || c.BindingLifetime.Duration != 5*time.Minute {
		t.Errorf("cacheTTL %s bindingLifetime %s, want 1m and 5m", c.CacheTTL, c.BindingLifetime)
	}
	// kube-apiserver caches webhook answers for 2 minutes by default; the
	// identity cache must not add more than that.
	if c.CacheTTL.Duration > 2*time.Minute {
		t.Errorf("default cacheTTL %s is longer than kube-apiserver's 2m token cache", c.CacheTTL)
	}
	if c.TLS.RequireClientCert == nil || !*c.TLS.RequireClientCert {
		t.Error("mutual TLS is not required by default")
	}
	if r := c.STSRateLimit; r.PerSecond <= 0 || r.Burst < 1 || r.Clients < 1 {
		t.Errorf("stsRateLimit defaults %+v", r)
	}
}

func TestHardeningValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name  string
		mut   func(*Server)
		field string
	}{
		{"cache ttl beyond a token's lifetime", func(c *Server) { c.CacheTTL.Duration = 16 * time.Minute }, "cacheTTL"},
		{"cache ttl under a second", func(c *Server) { c.CacheTTL.Duration = time.Millisecond }, "cacheTTL"},
		{"binding lifetime too short", func(c *Server) { c.BindingLifetime.Duration = time.Second }, "bindingLifetime"},
		{"empty api audience", func(c *Server) { c.APIAudiences = []string{""} }, "apiAudiences"},
		{"negative rate", func(c *Server) { c.STSRateLimit.PerSecond = -1 }, "stsRateLimit.perSecond"},
		{"zero burst after defaults", func(c *Server) { c.STSRateLimit.Burst = -1 }, "stsRateLimit.burst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mut(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.field+":") {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tt.field)
			}
		})
	}
}

func TestHardeningKeysLoadFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	data := "clusterID: demo\ncacheTTL: 30s\nbindingLifetime: 10m\napiAudiences: [https://kubernetes.default.svc]\n" +
		"stsRateLimit:\n  perSecond: 5\n  burst: 10\ntls:\n  clientCAFile: /etc/ca.crt\n  requireClientCert: false\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if c.CacheTTL.Duration != 30*time.Second || c.BindingLifetime.Duration != 10*time.Minute ||
		len(c.APIAudiences) != 1 || c.STSRateLimit.PerSecond != 5 || c.STSRateLimit.Burst != 10 ||
		c.TLS.ClientCAFile != "/etc/ca.crt" || *c.TLS.RequireClientCert {
		t.Errorf("loaded %+v %+v", c.Hardening, c.TLS)
	}
}

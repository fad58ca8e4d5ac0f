package webhook_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeiam/kubeiam/internal/webhook"
)

// issuer is kube-apiserver's default --api-audiences: its service-account
// issuer, which it sends as spec.audiences with every request it
// authenticates through the webhook.
const issuer = "https://kubernetes.default.svc.cluster.local"

// The TokenReview contract (Kubernetes API reference, TokenReviewStatus
// audiences): an empty status.audiences with authenticated true means "valid
// for the Kubernetes API server". A kubeiam token is for the API server
// only, so the webhook never echoes other audiences, and refuses them
// outright when it knows the API server's.
func TestTokenReviewAudiences(t *testing.T) {
	tests := []struct {
		name          string
		apiAudiences  []string
		requested     []string
		authenticated bool
		audiences     []string
		err           string
		result        string
		stsCalls      int64
	}{
		{name: "no audiences asked: authenticated, none answered",
			requested: nil, authenticated: true, result: "granted", stsCalls: 1},
		{name: "API audiences unknown, kube-apiserver's own asked: authenticated, none answered (kube-apiserver applies its implicit audiences)",
			requested: []string{issuer}, authenticated: true, result: "granted", stsCalls: 1},
		{name: "API audiences unknown, vault asked: vault is not echoed, so kube-apiserver refuses it",
			requested: []string{"vault"}, authenticated: true, result: "granted", stsCalls: 1},
		{name: "API audiences known, vault asked: refused before STS",
			apiAudiences: []string{issuer}, requested: []string{"vault"}, result: "wrong-audience",
			err: `kubeiam tokens are for the Kubernetes API server (audiences ["` + issuer + `"]) only, not for the requested audiences ["vault"]`},
		{name: "API audiences known, the API server's asked: authenticated for exactly that audience",
			apiAudiences: []string{issuer, "https://other"}, requested: []string{issuer}, authenticated: true,
			audiences: []string{issuer}, result: "granted", stsCalls: 1},
		{name: "API audiences known, vault and the API server's asked: only the API server's answered",
			apiAudiences: []string{issuer}, requested: []string{"vault", issuer, issuer}, authenticated: true,
			audiences: []string{issuer}, result: "granted", stsCalls: 1},
	}
	for _, version := range versions {
		for _, tt := range tests {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t, func(h *webhook.TokenReviewHandler) { h.APIAudiences = tt.apiAudiences })
				status, _, got, raw := e.tokenReview(t, version, e.token(t, e.developer(t)), tt.requested...)
				if status != http.StatusOK {
					t.Fatalf("HTTP %d: %s", status, raw)
				}
				if got.Authenticated != tt.authenticated || got.Error != tt.err || !slices.Equal(got.Audiences, tt.audiences) {
					t.Errorf("authenticated %v error %q audiences %q, want %v %q %q",
						got.Authenticated, got.Error, got.Audiences, tt.authenticated, tt.err, tt.audiences)
				}
				if !tt.authenticated && (got.Username != "" || len(got.Extra) != 0) {
					t.Errorf("a refusal carries user details: %s", raw)
				}
				if n := e.sts.Calls(); n != tt.stsCalls {
					t.Errorf("STS calls = %d, want %d", n, tt.stsCalls)
				}
				if n := testutil.ToFloat64(e.metrics.Requests.WithLabelValues("authenticate", tt.result)); n != 1 {
					t.Errorf("webhook_requests_total{authenticate,%s} = %v, want 1", tt.result, n)
				}
			})
		}
	}
}

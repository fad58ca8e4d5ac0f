package webhook_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// rateLimitedAuth answers every token as over its client's STS rate limit.
type rateLimitedAuth struct{}

func (rateLimitedAuth) Authenticate(context.Context, authn.Request) authn.Outcome {
	return authn.Outcome{Class: "rate-limited", PublicError: authn.ErrRateLimited.Error()}
}

// Issue 10.5: a client over its STS rate limit gets 429 with Retry-After,
// so that kube-apiserver backs off and retries rather than caching a
// denial.
func TestTokenReviewRateLimitedIs429(t *testing.T) {
	e := newEnv(t)
	h := &webhook.TokenReviewHandler{Auth: rateLimitedAuth{}, Metrics: e.metrics, Now: e.clock.Now}
	rec := serve(t, h, http.MethodPost, []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"x"}}`))
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || rec.Body.String() != authn.ErrRateLimited.Error()+"\n" {
		t.Errorf("HTTP %d Retry-After %q body %q, want 429, 1 and the rate-limit message", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	if n := testutil.ToFloat64(e.metrics.Requests.WithLabelValues("authenticate", "rate-limited")); n != 1 {
		t.Errorf("webhook_requests_total{authenticate,rate-limited} = %v, want 1", n)
	}
}

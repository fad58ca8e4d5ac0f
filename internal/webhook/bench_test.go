package webhook_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// BenchmarkTokenReviewWarm is the warm path of the TokenReview webhook: a
// token whose identity is cached, through the real handler, service,
// resolver, binding and JSON decision log (to io.Discard, through the
// server's asynchronous writer), without the network. Profile it with
//
//	go test -run '^$' -bench TokenReviewWarm -cpuprofile cpu.out ./internal/webhook/
func BenchmarkTokenReviewWarm(b *testing.B) {
	clock := authntest.NewClock()
	sts := authntest.StartSTS(b, clock)
	mapper := authntest.NewMapper(authntest.Snapshot(b, "API_AND_CONFIG_MAP", awsAuth, developerEntry("dev-user")), resolve.Options{})
	async := decisionlog.NewAsync(io.Discard, 0, func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) })
	b.Cleanup(func() { _ = async.Close() })
	m := metrics.New()
	svc, err := authn.New(authn.Config{Verifier: sts.Verifier(b, authntest.ClusterID), Mapper: mapper, Metrics: m,
		Logger: slog.New(async), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	binder, err := webhook.NewBinder(bindingKey, bindingLifetime)
	if err != nil {
		b.Fatal(err)
	}
	h := &webhook.TokenReviewHandler{Auth: svc, Metrics: m, Binder: binder, Now: clock.Now}
	tok := sts.Token(b, sts.UserCredentials(b, localsts.DevDeveloperUser), authntest.ClusterID)
	body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`)
	serve := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/authenticate", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve(); rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"authenticated":true`)) {
		b.Fatalf("first review: %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}

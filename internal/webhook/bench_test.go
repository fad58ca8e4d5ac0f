package webhook_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/sts"
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
	h := benchHandler(b, clock, sts.Verifier(b, authntest.ClusterID), 0)
	tok := sts.Token(b, sts.UserCredentials(b, localsts.DevDeveloperUser), authntest.ClusterID)
	body := reviewBody(tok)
	if rec := serveReview(h, body); rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"authenticated":true`)) {
		b.Fatalf("first review: %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serveReview(h, body)
	}
}

// BenchmarkTokenReviewCold is the cold path: every review's token is new
// to the server's cache, so each one is checked locally and sent to the
// local STS, here over TLS on loopback through the verifier's default
// transport (sts.NewTransport, trusting the test server's certificate),
// as the server reaches AWS. The tokens are minted before the timer
// starts, and the identity cache holds one entry, so cycling through them
// misses every time. The local STS (its SigV4 check) runs in the same
// process; profile the server's share with
//
//	go test -run '^$' -bench TokenReviewCold -cpuprofile cpu.out ./internal/webhook/
//	go tool pprof -focus 'TokenReviewHandler' cpu.out
func BenchmarkTokenReviewCold(b *testing.B) {
	clock := authntest.NewClock()
	local := authntest.StartSTS(b, clock)
	var calls atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		local.Server.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	tr := ststransport(b, srv)
	v, err := sts.NewVerifier(sts.VerifierConfig{ClusterID: authntest.ClusterID, Endpoint: srv.URL, Now: clock.Now,
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	h := benchHandler(b, clock, v, 1)
	creds := local.UserCredentials(b, localsts.DevDeveloperUser)
	// Distinct signing seconds make distinct tokens, all valid at the
	// clock's time (a token is valid for 15 minutes after signing).
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = reviewBody(local.TokenAt(b, creds, authntest.ClusterID, clock.Now().Add(-time.Duration(i)*time.Second)))
	}
	for _, body := range bodies[:2] {
		if rec := serveReview(h, body); rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"authenticated":true`)) {
			b.Fatalf("first review: %d %s", rec.Code, rec.Body)
		}
	}
	before := calls.Load()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		serveReview(h, bodies[i%len(bodies)])
		i++
	}
	b.StopTimer()
	if got := calls.Load() - before; got != int64(i) {
		b.Fatalf("%d STS calls for %d reviews: the benchmark did not miss the cache every time", got, i)
	}
}

// ststransport is the verifier's default transport, trusting srv.
func ststransport(b *testing.B, srv *httptest.Server) *http.Transport {
	tr := sts.NewTransport(0)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	b.Cleanup(tr.CloseIdleConnections)
	return tr
}

// benchHandler is the server's TokenReview handler over the real service
// (cacheSize 0: the default), resolver, binding and JSON decision log (to
// io.Discard, through the server's asynchronous writer).
func benchHandler(b *testing.B, clock *authntest.Clock, v authn.Verifier, cacheSize int) *webhook.TokenReviewHandler {
	mapper := authntest.NewMapper(authntest.Snapshot(b, "API_AND_CONFIG_MAP", awsAuth, developerEntry("dev-user")), resolve.Options{})
	async := decisionlog.NewAsync(io.Discard, 0, func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) })
	b.Cleanup(func() { _ = async.Close() })
	m := metrics.New()
	svc, err := authn.New(authn.Config{Verifier: v, Mapper: mapper, Metrics: m,
		Logger: slog.New(async), Now: clock.Now, CacheSize: cacheSize})
	if err != nil {
		b.Fatal(err)
	}
	binder, err := webhook.NewBinder(bindingKey, bindingLifetime)
	if err != nil {
		b.Fatal(err)
	}
	return &webhook.TokenReviewHandler{Auth: svc, Metrics: m, Binder: binder, Now: clock.Now}
}

func reviewBody(tok string) []byte {
	return []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`)
}

func serveReview(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/authenticate", bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

package sts

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

var (
	signedAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	now      = signedAt.Add(time.Minute)
)

const (
	serverCluster = "prod-cluster"
	callerARN     = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
	jsonAnswer    = `{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Account":"111122223333","Arn":"` + callerARN + `","UserId":"AROAEXAMPLEID:alice"},"ResponseMetadata":{"RequestId":"r-1"}}}`
	xmlAnswer     = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>` + callerARN + `</Arn>
    <UserId>AROAEXAMPLEID:alice</UserId>
    <Account>111122223333</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`
)

// seen is what the fake STS recorded of one request.
type seen struct {
	Method, Host, Path, RawQuery, ClusterID, Accept, Audience string
}

// fakeSTS is an httptest server standing in for STS. It checks nothing
// and answers what its handler says; internal/localsts verifies SigV4.
type fakeSTS struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newFakeSTS(t *testing.T, answer http.HandlerFunc) *fakeSTS {
	t.Helper()
	f := &fakeSTS{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, seen{r.Method, r.Host, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-K8s-Aws-Id"), r.Header.Get("Accept"), r.Header.Get("X-Kubeiam-Audience")})
		f.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSTS) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func respond(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// newTestVerifier returns a Verifier that sends to f, with a fixed clock.
func newTestVerifier(t *testing.T, f *fakeSTS, mod func(*VerifierConfig)) *Verifier {
	t.Helper()
	cfg := VerifierConfig{ClusterID: serverCluster, Endpoint: f.URL, Now: func() time.Time { return now }}
	if mod != nil {
		mod(&cfg)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// mint returns a real presigned token signed at signedAt.
func mint(t *testing.T, o tokentest.Options) string {
	t.Helper()
	if o.SignedAt.IsZero() {
		o.SignedAt = signedAt
	}
	if o.ClusterID == "" {
		o.ClusterID = serverCluster
	}
	return tokentest.Token(t, o)
}

package webhook_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// fuzzHandlers are both webhooks over the real chain (local STS on
// loopback, verifier, authn.Service, resolver), called in-process.
type fuzzHandlers struct {
	authenticate, authorize http.Handler
}

func newFuzzHandlers(f *testing.F) *fuzzHandlers {
	clock := authntest.NewClock()
	sts := authntest.StartSTS(f, clock)
	f.Cleanup(sts.Close)
	m := metrics.New()
	mapper := authntest.NewMapper(authntest.Snapshot(f, "API_AND_CONFIG_MAP", awsAuth, developerEntry("dev-user")), resolve.Options{})
	svc, err := authn.New(authn.Config{Verifier: sts.Verifier(f, authntest.ClusterID), Mapper: mapper, Metrics: m, Now: clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	binder, err := webhook.NewBinder(bindingKey, 5*time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	h := &fuzzHandlers{
		authenticate: &webhook.TokenReviewHandler{Auth: svc, Metrics: m, Binder: binder, Now: clock.Now},
		authorize: &webhook.SubjectAccessReviewHandler{Mapper: mapper, Binder: binder, Metrics: m,
			Logger: slog.New(slog.DiscardHandler), Now: clock.Now},
	}
	// Seeds: a real token of the developer, and the SubjectAccessReview
	// kube-apiserver would send for the user it authenticated.
	tok := sts.Token(f, sts.UserCredentials(f, localsts.DevDeveloperUser), authntest.ClusterID)
	tr, _ := json.Marshal(authnv1.TokenReview{TypeMeta: metav1.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenReview"},
		Spec: authnv1.TokenReviewSpec{Token: tok}})
	code, body := fuzzServe(h.authenticate, http.MethodPost, tr)
	var out authnv1.TokenReview
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil || !out.Status.Authenticated {
		f.Fatalf("seed TokenReview: HTTP %d: %s", code, body)
	}
	f.Add(uint8(0), tr)
	f.Add(uint8(0), []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8"}}`))
	u := out.Status.User
	extra := map[string]authzv1.ExtraValue{}
	for k, v := range u.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	sar, _ := json.Marshal(authzv1.SubjectAccessReview{TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"}, Spec: authzv1.SubjectAccessReviewSpec{User: u.Username, UID: u.UID, Groups: u.Groups,
		Extra: extra, ResourceAttributes: &authzv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "dev", Version: "v1"}}})
	f.Add(uint8(1), sar)
	f.Add(uint8(1), []byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"dev-user","nonResourceAttributes":{"path":"/api","verb":"get"}}}`))
	return h
}

func fuzzServe(h http.Handler, method string, body []byte) (int, []byte) {
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// FuzzWebhookHandlers sends random bodies to the TokenReview and
// SubjectAccessReview handlers: no panic, no 5xx but the documented 503 of
// an STS outage, a well-formed review whenever the answer is 200, and no
// access policy granted to a user the server did not authenticate (only the
// developer has policies; issue 10 item 12).
func FuzzWebhookHandlers(f *testing.F) {
	h := newFuzzHandlers(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		if which%2 == 0 {
			code, out := fuzzServe(h.authenticate, http.MethodPost, body)
			checkStatus(t, code, out)
			var tr authnv1.TokenReview
			if code == http.StatusOK {
				if err := json.Unmarshal(out, &tr); err != nil {
					t.Fatalf("200 with a body that is not a TokenReview: %v: %s", err, out)
				}
				if tr.Status.Authenticated && tr.Status.User.Username == "" {
					t.Fatalf("authenticated without a username: %s", out)
				}
			}
			return
		}
		code, out := fuzzServe(h.authorize, http.MethodPost, body)
		checkStatus(t, code, out)
		if code != http.StatusOK {
			return
		}
		var sar authzv1.SubjectAccessReview
		if err := json.Unmarshal(out, &sar); err != nil {
			t.Fatalf("200 with a body that is not a SubjectAccessReview: %v: %s", err, out)
		}
		var in authzv1.SubjectAccessReview
		_ = json.Unmarshal(body, &in)
		if sar.Status.Allowed && in.Spec.User != "dev-user" {
			t.Fatalf("allowed %q, who has no access policy: %s", in.Spec.User, body)
		}
		if sar.Status.Denied {
			t.Fatalf("kubeiam never denies, it has no opinion: %s", out)
		}
	})
}

func checkStatus(t *testing.T, code int, body []byte) {
	t.Helper()
	if code >= 500 && code != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d: %s", code, body)
	}
}

package webhook_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/webhook"
)

// bindingKey is the test servers' binding key.
var bindingKey = bytes.Repeat([]byte("k"), 32)

// bindingLifetime is the test servers' binding lifetime.
const bindingLifetime = 5 * time.Minute

// awsAuth maps the admin role's sessions, without access policies.
var awsAuth = map[string]string{"mapRoles": `
- rolearn: arn:aws:iam::111122223333:role/admin
  username: admin:{{SessionName}}
  groups: [admins]
`}

var viewInDev = authz.Grant{PolicyARN: authz.ViewPolicyARN,
	Scope: authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}}

// developerEntry is the developer's access entry: AmazonEKSViewPolicy in
// namespace dev.
func developerEntry(username string) resolve.Entry {
	return resolve.Entry{PrincipalARN: authntest.DeveloperARN, Username: username, Groups: []string{"devs"},
		Type: "STANDARD", Grants: []authz.Grant{viewInDev}}
}

// snapshot is the mapping the tests start from, in API_AND_CONFIG_MAP mode.
func snapshot(t *testing.T) *resolve.Snapshot {
	return authntest.Snapshot(t, "API_AND_CONFIG_MAP", awsAuth, developerEntry("dev-user"))
}

// env serves both webhooks on loopback over the real chain: local STS,
// STS verifier, authn.Service, resolver.
type env struct {
	clock   *authntest.Clock
	sts     *authntest.STS
	mapper  *authntest.Mapper
	binder  *webhook.Binder
	metrics *metrics.Metrics
	url     string
}

// newEnv starts the env; opts adjust the TokenReview handler.
func newEnv(t *testing.T, opts ...func(*webhook.TokenReviewHandler)) *env {
	t.Helper()
	e := &env{clock: authntest.NewClock(), metrics: metrics.New()}
	e.sts = authntest.StartSTS(t, e.clock)
	e.mapper = authntest.NewMapper(snapshot(t), resolve.Options{})
	svc, err := authn.New(authn.Config{Verifier: e.sts.Verifier(t, authntest.ClusterID), Mapper: e.mapper,
		Metrics: e.metrics, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if e.binder, err = webhook.NewBinder(bindingKey, bindingLifetime); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	trh := &webhook.TokenReviewHandler{Auth: svc, Metrics: e.metrics, Binder: e.binder, Now: e.clock.Now}
	for _, o := range opts {
		o(trh)
	}
	mux.Handle("/authenticate", trh)
	mux.Handle("/authorize", &webhook.SubjectAccessReviewHandler{Mapper: e.mapper, Binder: e.binder, Metrics: e.metrics,
		Logger: slog.New(slog.DiscardHandler), Now: e.clock.Now})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *env) developer(t *testing.T) aws.Credentials {
	return e.sts.UserCredentials(t, localsts.DevDeveloperUser)
}

func (e *env) token(t *testing.T, c aws.Credentials) string {
	t.Helper()
	return e.sts.Token(t, c, authntest.ClusterID)
}

// do sends a request with the given method and body and returns the status,
// the headers and the body.
func (e *env) do(t *testing.T, method, path string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

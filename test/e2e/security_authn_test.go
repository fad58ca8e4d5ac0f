package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// apiServiceAccountIssuer is the e2e kube-apiserver's
// --service-account-issuer, and so its default --api-audiences.
const apiServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// tokenFor mints a cluster token for an AWS profile with "kubeiam token".
func tokenFor(t *testing.T, c *harness.Cluster, profile string) string {
	t.Helper()
	r := mustSucceed(t, run(t, c.Env(profile), kubeiamBinary(), "token", "-i", c.ClusterID, "--token-only"))
	return strings.TrimSpace(r.Stdout)
}

// apiServer is a raw HTTPS client of kube-apiserver, for requests kubectl
// cannot make (impersonated extras) or whose answer the test reads whole.
type apiServer struct {
	t      *testing.T
	host   string
	client *http.Client
}

func newAPIServer(t *testing.T, c *harness.Cluster) *apiServer {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", c.BareKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := rest.TLSConfigFor(rc)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	t.Cleanup(client.CloseIdleConnections)
	return &apiServer{t: t, host: rc.Host, client: client}
}

// adminToken is the static token of the admin kubeconfig.
func adminToken(t *testing.T, c *harness.Cluster) string {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", c.AdminKubeconfig)
	if err != nil || rc.BearerToken == "" {
		t.Fatalf("admin kubeconfig without a token: %v", err)
	}
	return rc.BearerToken
}

// do sends one request with a bearer token and extra headers and returns
// the status and body.
func (a *apiServer) do(method, path, bearer string, header http.Header, body any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.host+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out
}

// tokenReviewStatus is the part of a TokenReview answer the tests read.
type tokenReviewStatus struct {
	Authenticated bool     `json:"authenticated"`
	Audiences     []string `json:"audiences"`
	Error         string   `json:"error"`
	User          struct {
		Username string `json:"username"`
	} `json:"user"`
}

// Issue 10.1: a kubeiam token is for the API server only. A service that
// authenticates its callers with the TokenReview API for its own audience
// ("vault") must see kubeiam tokens refused, as ServiceAccount tokens for
// another audience are; kube-apiserver itself keeps accepting them.
func TestTokenReviewAudiencesThroughKubeAPIServer(t *testing.T) {
	c := cluster(t)
	api := newAPIServer(t, c)
	admin := adminToken(t, c)
	tok := tokenFor(t, c, localsts.DevCreatorUser)
	tests := []struct {
		name          string
		audiences     []string
		authenticated bool
		wantAuds      []string
	}{
		{"no audiences: the API server's own", nil, true, []string{apiServiceAccountIssuer}},
		{"the API server's audience", []string{apiServiceAccountIssuer}, true, []string{apiServiceAccountIssuer}},
		{"vault", []string{"vault"}, false, nil},
		{"vault and another service", []string{"vault", "https://sts.example"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
				"spec": map[string]any{"token": tok, "audiences": tt.audiences}}
			code, raw := api.do(http.MethodPost, "/apis/authentication.k8s.io/v1/tokenreviews", admin, nil, body)
			var out struct {
				Status tokenReviewStatus `json:"status"`
			}
			if code != http.StatusCreated || json.Unmarshal(raw, &out) != nil {
				t.Fatalf("create TokenReview: HTTP %d %s", code, raw)
			}
			st := out.Status
			if st.Authenticated != tt.authenticated || !slices.Equal(st.Audiences, tt.wantAuds) {
				t.Errorf("authenticated %v audiences %q (user %q), want %v %q", st.Authenticated, st.Audiences, st.User.Username,
					tt.authenticated, tt.wantAuds)
			}
			if tt.authenticated && st.User.Username != "kubernetes-admin" {
				t.Errorf("username %q, want kubernetes-admin", st.User.Username)
			}
		})
	}
	// And kubectl, whose requests kube-apiserver authenticates for its own
	// audiences, keeps working.
	mustSucceed(t, kubectl(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser), "get", "svc"))
}

// Issue 10.5: kube-apiserver reaches the webhooks with the client
// certificate of the generated kubeconfigs (every kubectl test proves it);
// a client without it is refused, and the health endpoints stay open.
func TestWebhooksRequireKubeAPIServersClientCertificate(t *testing.T) {
	c := cluster(t)
	caOnly := httpsClientWithCA(t, c.Kubeiam.Bundle().CAPEM)
	tok := tokenFor(t, c, localsts.DevCreatorUser)
	review := `{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`
	resp, err := caOnly.Post(c.Kubeiam.URL("/authenticate"), "application/json", strings.NewReader(review))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/authenticate without a client certificate: HTTP %d, want 401", resp.StatusCode)
	}
	resp, err = caOnly.Get(c.Kubeiam.URL("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz without a client certificate: HTTP %d, want 200", resp.StatusCode)
	}
	r := mustSucceed(t, whoami(t, c, localsts.DevCreatorUser, c.Kubeconfig(localsts.DevCreatorUser)))
	if !strings.HasPrefix(r.Stdout, "kubernetes-admin ") {
		t.Errorf("whoami through kube-apiserver = %q, want kubernetes-admin", r.Stdout)
	}
}

func httpsClientWithCA(t *testing.T, caPEM []byte) *http.Client {
	t.Helper()
	tlsCfg, err := rest.TLSConfigFor(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAData: caPEM}})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// userInfo is a SelfSubjectReview's status.userInfo.
type userInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra"`
}

// selfReview asks kube-apiserver who the bearer of tok is (what "kubectl
// auth whoami" shows, binding included).
func (a *apiServer) selfReview(tok string) userInfo {
	a.t.Helper()
	code, raw := a.do(http.MethodPost, "/apis/authentication.k8s.io/v1/selfsubjectreviews", tok, nil,
		map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
	var out struct {
		Status struct {
			UserInfo userInfo `json:"userInfo"`
		} `json:"status"`
	}
	if code != http.StatusCreated || json.Unmarshal(raw, &out) != nil {
		a.t.Fatalf("SelfSubjectReview: HTTP %d %s", code, raw)
	}
	return out.Status.UserInfo
}

// impersonate returns the headers that impersonate u, extras as
// kube-apiserver reads them (it lowercases the key part of every
// Impersonate-Extra- header; keys are percent-encoded).
func impersonate(u userInfo) http.Header {
	h := http.Header{"Impersonate-User": {u.Username}}
	if u.UID != "" {
		h["Impersonate-Uid"] = []string{u.UID}
	}
	for _, g := range u.Groups {
		if g != "system:authenticated" {
			h["Impersonate-Group"] = append(h["Impersonate-Group"], g)
		}
	}
	for k, v := range u.Extra {
		h["Impersonate-Extra-"+url.PathEscape(k)] = v
	}
	return h
}

// Issue 10.9, through the real kube-apiserver: access policies apply to the
// identities kubeiam authenticated, also when they arrive impersonated with
// lowercased extra keys, and never to someone impersonating another user.
func TestImpersonationAndAccessPolicies(t *testing.T) {
	c := freshCluster(t)
	api := newAPIServer(t, c)
	admin := adminToken(t, c)
	dev := "arn:aws:iam::" + localsts.DevAccount + ":user/" + localsts.DevDeveloperUser
	asAdmin := func(args ...string) result { return kubectl(t, c, "", c.AdminKubeconfig, args...) }
	for _, ns := range []string{"dev", "prod"} {
		mustSucceed(t, asAdmin("create", "namespace", ns))
	}
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "update-config", "--authentication-mode", "API_AND_CONFIG_MAP"))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-entry", "create", "--principal-arn", dev))
	mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "access-policy", "associate", "--principal-arn", dev,
		"--policy-arn", "AmazonEKSViewPolicy", "--scope", "namespace", "--namespaces", "dev"))
	// The developer may impersonate (through RBAC, not a policy), so that
	// it can send its own identity the impersonated way.
	mustSucceed(t, applyYAML(t, c, `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-impersonator}
rules:
- apiGroups: [""]
  resources: [users, groups]
  verbs: [impersonate]
- apiGroups: [authentication.k8s.io]
  resources: ["*"]
  verbs: [impersonate]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: e2e-developer-impersonates}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: e2e-impersonator}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "`+dev+`"}
`))

	devTok := tokenFor(t, c, localsts.DevDeveloperUser)
	listIn := func(ns, bearer string, h http.Header) int {
		code, raw := api.do(http.MethodGet, "/api/v1/namespaces/"+ns+"/configmaps", bearer, h, nil)
		t.Logf("GET configmaps in %s: HTTP %d %.200s", ns, code, raw)
		return code
	}
	eventually(t, "the developer's view policy in dev to apply", func() string {
		if code := listIn("dev", devTok, nil); code != http.StatusOK {
			return fmt.Sprintf("HTTP %d", code)
		}
		return ""
	})
	self := api.selfReview(devTok)
	if self.Username != dev || len(self.Extra["kubeiam.io/binding"]) != 1 {
		t.Fatalf("the developer's own identity: %+v", self)
	}
	if code := listIn("prod", devTok, nil); code != http.StatusForbidden {
		t.Errorf("the developer in prod: HTTP %d, want 403", code)
	}

	t.Run("the developer impersonating itself, extra keys lowercased, gets its policy", func(t *testing.T) {
		if code := listIn("dev", devTok, impersonate(self)); code != http.StatusOK {
			t.Errorf("in dev: HTTP %d, want 200", code)
		}
		if code := listIn("prod", devTok, impersonate(self)); code != http.StatusForbidden {
			t.Errorf("in prod: HTTP %d, want 403", code)
		}
	})
	t.Run("the developer impersonating itself with another group gets nothing", func(t *testing.T) {
		other := self
		other.Groups = []string{"e2e-other"}
		if code := listIn("dev", devTok, impersonate(other)); code != http.StatusForbidden {
			t.Errorf("HTTP %d, want 403", code)
		}
	})
	creator := api.selfReview(tokenFor(t, c, localsts.DevCreatorUser))
	impostors := []struct {
		name string
		as   userInfo
	}{
		{"by username alone", userInfo{Username: dev}},
		{"with its uid and every extra but the binding", func() userInfo {
			u := self
			u.Extra = map[string][]string{}
			for k, v := range self.Extra {
				if k != "kubeiam.io/binding" {
					u.Extra[k] = v
				}
			}
			return u
		}()},
		{"with the binding of another kubeiam user", func() userInfo {
			u := self
			u.Extra = map[string][]string{}
			for k, v := range self.Extra {
				u.Extra[k] = v
			}
			u.Extra["kubeiam.io/binding"] = creator.Extra["kubeiam.io/binding"]
			return u
		}()},
		{"with its binding under another uid", func() userInfo { u := self; u.UID = creator.UID; return u }()},
	}
	for _, im := range impostors {
		t.Run("an administrator impersonating the developer "+im.name+" gets none of its policy", func(t *testing.T) {
			if code := listIn("dev", admin, impersonate(im.as)); code != http.StatusForbidden {
				t.Errorf("HTTP %d, want 403", code)
			}
		})
	}
}

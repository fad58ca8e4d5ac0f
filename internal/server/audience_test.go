package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/token"
)

// TestTokenAudiences drives the real server (dev mode): the TokenReview
// webhook refuses API tokens, the access-management API and the manager
// diagnosis endpoints refuse cluster tokens, and whoami evaluates a
// cluster token as kube-apiserver would (issue 10, item 3).
func TestTokenAudiences(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	d := startDev(t)
	clusterTok := d.tokenFor(t, localsts.DevCreatorUser, token.AudienceCluster)
	apiTok := d.tokenFor(t, localsts.DevCreatorUser, token.AudienceAPI)

	t.Run("TokenReview refuses an API token", func(t *testing.T) {
		tr := d.review(t, apiTok)
		if tr.Status.Authenticated || !strings.Contains(tr.Status.Error, "access-management API") {
			t.Errorf("status %+v, want refused as a token for the access-management API", tr.Status)
		}
		if tr := d.review(t, clusterTok); !tr.Status.Authenticated {
			t.Errorf("the cluster token is refused: %+v", tr.Status)
		}
	})
	describe := "/clusters/" + DevClusterID
	for _, tt := range []struct {
		name, method, path, body, tok string
		status                        int
		want                          string
	}{
		{"API accepts the API token", http.MethodGet, describe, "", apiTok, http.StatusOK, `"cluster"`},
		{"API refuses the cluster token", http.MethodGet, describe, "", clusterTok, http.StatusForbidden, "kubeiam token --audience api"},
		{"explain accepts the API token", http.MethodPost, "/kubeiam/v1/explain", `{"arn":"arn:aws:iam::111122223333:user/developer"}`, apiTok, http.StatusOK, "ARN_NOT_MAPPED"},
		{"explain refuses the cluster token", http.MethodPost, "/kubeiam/v1/explain", `{"arn":"arn:aws:iam::111122223333:user/developer"}`, clusterTok, http.StatusUnauthorized, "kubeiam token --audience api"},
		{"decisions refuse the cluster token", http.MethodGet, "/kubeiam/v1/decisions", "", clusterTok, http.StatusUnauthorized, "not authenticated"},
		{"whoami evaluates the cluster token", http.MethodPost, "/kubeiam/v1/whoami", "", clusterTok, http.StatusOK, `"authenticated":true`},
		{"whoami says an API token is not for the cluster", http.MethodPost, "/kubeiam/v1/whoami", "", apiTok, http.StatusOK, "access-management API"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := d.call(t, tt.method, tt.path, tt.body, tt.tok)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s: %d %s, want %d with %q", tt.method, tt.path, status, body, tt.status, tt.want)
			}
		})
	}
}

// call sends a bearer-token request to the server's TLS listener.
func (d *devServer) call(t *testing.T, method, path, body, tok string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, d.env["KUBEIAM_WEBHOOK"]+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Errorf("%s %s answered non-JSON %q", method, path, b)
	}
	return resp.StatusCode, string(b)
}

package sts

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// TestVerifyAudience: the API's verifier sends the API audience to STS and
// refuses cluster tokens before any request; the webhook's verifier
// refuses API tokens the same way (issue 10, item 3).
func TestVerifyAudience(t *testing.T) {
	tests := []struct {
		name        string
		token, mine token.Audience
		wantErr     error
		wantSent    seen // ClusterID and Audience sent to STS
	}{
		{"cluster token, cluster verifier", token.AudienceCluster, token.AudienceCluster, nil, seen{ClusterID: serverCluster}},
		{"API token, API verifier", token.AudienceAPI, token.AudienceAPI, nil, seen{ClusterID: "kubeiam-api:" + serverCluster, Audience: "api"}},
		{"API token, cluster verifier", token.AudienceAPI, token.AudienceCluster, token.ErrAPIToken, seen{}},
		{"cluster token, API verifier", token.AudienceCluster, token.AudienceAPI, token.ErrClusterToken, seen{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSTS(t, respond(http.StatusOK, "application/json", jsonAnswer))
			v := newTestVerifier(t, f, func(c *VerifierConfig) { c.Audience = tt.mine })
			_, err := v.Verify(context.Background(), mint(t, tokentest.Options{Audience: tt.token}))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			reqs := f.requests()
			if tt.wantErr != nil {
				if len(reqs) != 0 {
					t.Errorf("%d requests sent to STS for a token of the wrong audience", len(reqs))
				}
				return
			}
			if len(reqs) != 1 || reqs[0].ClusterID != tt.wantSent.ClusterID || reqs[0].Audience != tt.wantSent.Audience {
				t.Errorf("sent %+v, want x-k8s-aws-id %q and x-kubeiam-audience %q", reqs, tt.wantSent.ClusterID, tt.wantSent.Audience)
			}
		})
	}
}

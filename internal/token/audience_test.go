package token_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// TestValidateAudience: a validator accepts only tokens of its audience,
// and names the other one precisely, before any network call (issue 10,
// item 3).
func TestValidateAudience(t *testing.T) {
	tests := []struct {
		name      string
		token     token.Audience
		validator token.Audience
		wantErr   error
	}{
		{"cluster token at the cluster", token.AudienceCluster, token.AudienceCluster, nil},
		{"API token at the API", token.AudienceAPI, token.AudienceAPI, nil},
		{"API token at the cluster", token.AudienceAPI, token.AudienceCluster, token.ErrAPIToken},
		{"cluster token at the API", token.AudienceCluster, token.AudienceAPI, token.ErrClusterToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := token.Encode(presign(t, tokentest.Options{Audience: tt.token}))
			v := validator(t, "aws")
			v.Audience = tt.validator
			r, err := v.Validate(tok)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, token.ErrInvalidToken) {
					t.Errorf("%v is not an ErrInvalidToken", err)
				}
				return
			}
			if r.Audience != tt.token {
				t.Errorf("Audience = %v, want %v", r.Audience, tt.token)
			}
		})
	}
}

func TestAudienceHeaders(t *testing.T) {
	if got := token.AudienceCluster.Headers("prod"); len(got) != 1 || got[token.ClusterIDHeader] != "prod" {
		t.Errorf("cluster headers = %v, want only x-k8s-aws-id: prod", got)
	}
	got := token.AudienceAPI.Headers("prod")
	if got[token.ClusterIDHeader] != "kubeiam-api:prod" || got[token.AudienceHeader] != token.APIAudienceValue || len(got) != 2 {
		t.Errorf("API headers = %v", got)
	}
	// EKS cluster names never contain a colon: no cluster ID is an API audience.
	if !strings.Contains(token.APIAudiencePrefix, ":") {
		t.Errorf("APIAudiencePrefix %q could collide with a cluster name", token.APIAudiencePrefix)
	}
	for _, s := range []string{"cluster", "api"} {
		a, err := token.ParseAudience(s)
		if err != nil || a.String() != s {
			t.Errorf("ParseAudience(%q) = %v, %v", s, a, err)
		}
	}
	if _, err := token.ParseAudience("API"); err == nil {
		t.Error(`ParseAudience("API") succeeded`)
	}
}

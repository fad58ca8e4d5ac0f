package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// TestBearerAudience sends real tokens, verified through the local STS's
// SigV4 check, to the API: an API-audience token is accepted, the cluster
// token kubectl sends is refused with a message saying what to send
// instead (issue 10, item 3).
func TestBearerAudience(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	stsURL := httptest.NewServer(f.sts)
	t.Cleanup(stsURL.Close)
	verifier, err := sts.NewVerifier(sts.VerifierConfig{ClusterID: testCluster, Audience: token.AudienceAPI, Endpoint: stsURL.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.api.auth = Chain{Bearer: BearerAuthenticator{Verifier: verifier}}
	k := f.key("creator")
	mint := func(aud token.Audience, cluster string) string {
		tok, err := tokengen.Generate(context.Background(), credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
			tokengen.Options{ClusterID: cluster, Region: "us-east-1", Audience: aud, Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Value
	}
	tests := []struct {
		name, token, wantType, wantMessage string
	}{
		{"API token", mint(token.AudienceAPI, testCluster), "", ""},
		{"kubectl's cluster token", mint(token.AudienceCluster, testCluster), TypeUnrecognizedClient, "kubeiam token --audience api"},
		{"API token of another cluster", mint(token.AudienceAPI, "other"), TypeUnrecognizedClient, "is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, f.url+"/clusters/"+testCluster, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			gotType := resp.Header.Get("X-Amzn-ErrorType")
			if gotType != tt.wantType || !strings.Contains(string(body), tt.wantMessage) {
				t.Errorf("answer %d %s %s, want type %q with %q", resp.StatusCode, gotType, string(body), tt.wantType, tt.wantMessage)
			}
		})
	}
}

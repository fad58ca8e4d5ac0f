package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kubeiam/kubeiam/internal/access"
)

// TestSigV4ReplayWithAnotherBody captures a manager's signed
// CreateAccessEntry request and replays it with another body: whatever
// payload hash the signature covers, the API must refuse the new body with
// EKS's InvalidSignatureException and store nothing (issue 10, item 6).
func TestSigV4ReplayWithAnotherBody(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: access.ModeAPIAndConfigMap})
	creator := f.creds("creator")
	path := "/clusters/" + testCluster + "/access-entries"
	signed := `{"principalArn":"` + developerARN + `"}`
	replayed := `{"principalArn":"` + adminRoleARN + `","kubernetesGroups":["admins"]}`
	// Same length: the SDK signs Content-Length, and an attacker pads.
	signed += strings.Repeat(" ", len(replayed)-len(signed))
	tests := []struct {
		name        string
		payloadHash string // what the signature and X-Amz-Content-Sha256 claim
	}{
		{"UNSIGNED-PAYLOAD", "UNSIGNED-PAYLOAD"},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
		{"hash of the captured body", hashHex(signed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, f.url+path, strings.NewReader(signed))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Amz-Content-Sha256", tt.payloadHash)
			if err := v4.NewSigner().SignHTTP(context.Background(), creator, req, tt.payloadHash, "eks", "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			// The attacker swaps the body and keeps every header.
			req.Body = io.NopCloser(strings.NewReader(replayed))
			req.ContentLength = int64(len(replayed))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != TypeInvalidSignature {
				t.Errorf("replay answered %d %s, want 403 %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), TypeInvalidSignature)
			}
			if entries, _, err := f.store.ListEntries(100, ""); err != nil || len(entries) != 0 {
				t.Errorf("after the replay the store holds %v (err %v), want nothing", entries, err)
			}
		})
	}
	// The same request with its own body still works.
	if r := f.do(t, &creator, http.MethodPost, path, signed); r.status != http.StatusOK {
		t.Fatalf("an honestly signed request answered %d %v", r.status, r.body)
	}
}

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

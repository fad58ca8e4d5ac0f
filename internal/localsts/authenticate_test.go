package localsts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// authServer answers every request with the identity AuthenticateRequest
// finds, or its error code, and echoes the body it can still read.
func authServer(t *testing.T, f *fixture) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := f.srv.AuthenticateRequest(r, "eks")
		body, _ := io.ReadAll(r.Body)
		out := map[string]string{"body": string(body)}
		var apiErr *APIError
		switch {
		case errors.As(err, &apiErr):
			out["code"] = apiErr.Code
		case err != nil:
			out["code"] = "internal: " + err.Error()
		default:
			out["arn"] = id.ARN
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(hs.Close)
	return hs
}

// signedEKSRequest builds a request to path, signed for service at signedAt.
func signedEKSRequest(t *testing.T, base, method, path, body string, c aws.Credentials, service string, signedAt time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), c, req, hex.EncodeToString(sum[:]), service, "us-east-1", signedAt); err != nil {
		t.Fatal(err)
	}
	return req
}

func sendAuth(t *testing.T, req *http.Request) map[string]string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAuthenticateRequest(t *testing.T) {
	f := start(t, nil)
	hs := authServer(t, f)
	developer, creator := creds(f.key(DevDeveloperUser)), creds(f.key(DevCreatorUser))
	entryPath := "/clusters/dev/access-entries/" + url.PathEscape("arn:aws:iam::111122223333:role/x") + "/access-policies"
	entryPath = strings.ReplaceAll(entryPath, ":", "%3A")
	now := time.Now()
	body := `{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"}`

	tests := []struct {
		name, arn, code string
		req             func() *http.Request
	}{
		{"GET with an encoded ARN in the path", "arn:aws:iam::111122223333:user/developer", "", func() *http.Request {
			return signedEKSRequest(t, hs.URL, http.MethodGet, entryPath+"?maxResults=5&nextToken=a%2Fb", "", developer, "eks", now)
		}},
		{"POST with a body", "arn:aws:iam::111122223333:user/creator", "", func() *http.Request {
			return signedEKSRequest(t, hs.URL, http.MethodPost, entryPath, body, creator, "eks", now)
		}},
		{"signed for another service", "", CodeSignatureDoesNotMatch, func() *http.Request {
			return signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", developer, "sts", now)
		}},
		{"wrong secret", "", CodeSignatureDoesNotMatch, func() *http.Request {
			c := developer
			c.SecretAccessKey = creator.SecretAccessKey
			return signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", c, "eks", now)
		}},
		{"path changed after signing", "", CodeSignatureDoesNotMatch, func() *http.Request {
			req := signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", developer, "eks", now)
			req.URL.Path = "/clusters/prod"
			return req
		}},
		{"body changed after signing", "", CodeSignatureDoesNotMatch, func() *http.Request {
			req := signedEKSRequest(t, hs.URL, http.MethodPost, entryPath, body, developer, "eks", now)
			tampered := strings.Replace(body, "View", "Edit", 1)
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(tampered)), int64(len(tampered))
			req.Header.Del("X-Amz-Content-Sha256")
			return req
		}},
		{"unknown key", "", CodeInvalidClientTokenID, func() *http.Request {
			c := developer
			c.AccessKeyID = "AKIAIOSFODNN7EXAMPLE"
			return signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", c, "eks", now)
		}},
		{"signed an hour ago", "", CodeSignatureDoesNotMatch, func() *http.Request {
			return signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", developer, "eks", now.Add(-time.Hour))
		}},
		{"no Authorization header", "", CodeMissingAuthenticationToken, func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, hs.URL+"/clusters/dev", nil)
			return req
		}},
		{"presigned URL", "", CodeMissingAuthenticationToken, func() *http.Request {
			req, _ := http.NewRequest(http.MethodGet, hs.URL+"/clusters/dev?X-Amz-Signature=00", nil)
			return req
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sendAuth(t, tt.req())
			if got["arn"] != tt.arn || got["code"] != tt.code {
				t.Errorf("got %v, want arn %q code %q", got, tt.arn, tt.code)
			}
		})
	}
	t.Run("body is restored", func(t *testing.T) {
		got := sendAuth(t, signedEKSRequest(t, hs.URL, http.MethodPost, entryPath, body, creator, "eks", now))
		if got["body"] != body {
			t.Errorf("body after authentication = %q, want %q", got["body"], body)
		}
	})
}

func TestAuthenticateRequestRoleSession(t *testing.T) {
	f := start(t, nil)
	hs := authServer(t, f)
	form := gci()
	form.Set("Action", "AssumeRole")
	form.Set("RoleArn", "arn:aws:iam::111122223333:role/admin")
	form.Set("RoleSessionName", "alice")
	status, assumed := f.call(t, creds(f.key(DevCreatorUser)), form, time.Now())
	if status != http.StatusOK {
		t.Fatalf("AssumeRole: %d %v", status, assumed)
	}
	session := assumedCreds(assumed)
	got := sendAuth(t, signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", session, "eks", time.Now()))
	if got["arn"] != "arn:aws:sts::111122223333:assumed-role/admin/alice" {
		t.Errorf("session: %v", got)
	}
	session.SessionToken = "forged"
	if got := sendAuth(t, signedEKSRequest(t, hs.URL, http.MethodGet, "/clusters/dev", "", session, "eks", time.Now())); got["code"] != CodeInvalidClientTokenID {
		t.Errorf("forged session token: %v", got)
	}
}

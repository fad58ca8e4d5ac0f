package localsts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kubeiam/kubeiam/internal/testutil"
)

// seeded returns a deterministic random source for dev configs and
// session credentials.
func seeded(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

// fixture is a running server with the dev identities.
type fixture struct {
	cfg   *Config
	srv   *Server
	http  *httptest.Server
	clock *testutil.Clock
}

// start runs a server on loopback. With a nil clock it uses the real one,
// which the AWS CLI and SDK sign with.
func start(t *testing.T, clock *testutil.Clock) *fixture {
	t.Helper()
	cfg := DevConfig(seeded(1))
	opts := Options{Rand: seeded(2)}
	if clock != nil {
		opts.Now = clock.Now
	}
	srv, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fixture{cfg: cfg, srv: srv, http: hs, clock: clock}
}

// key returns the access key of a dev user.
func (f *fixture) key(user string) AccessKey {
	for _, u := range f.cfg.Accounts[0].Users {
		if u.Name == user {
			return u.AccessKeys[0]
		}
	}
	panic("no dev user " + user)
}

func (f *fixture) now() time.Time {
	if f.clock != nil {
		return f.clock.Now()
	}
	return time.Now()
}

// call signs a form POST in the Authorization header with the SDK's
// signer and returns the status and the decoded JSON body.
func (f *fixture) call(t *testing.T, creds aws.Credentials, form url.Values, signedAt time.Time) (int, map[string]any) {
	t.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, f.http.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", signedAt); err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// sendPresigned sends a presigned URL to the server the way a token
// verifier does: to the local address, with the URL's host as Host and the
// cluster ID header.
func (f *fixture) sendPresigned(t *testing.T, presigned, clusterID string) (int, map[string]any) {
	t.Helper()
	u, err := url.Parse(presigned)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, f.http.URL+"/?"+u.RawQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = u.Host
	req.Header.Set("x-k8s-aws-id", clusterID)
	req.Header.Set("Accept", "application/json")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decoding JSON body: %v", err)
	}
	return resp.StatusCode, out
}

// errorCode returns Error.Code of a JSON error body, "" for a success.
func errorCode(body map[string]any) string {
	e, _ := body["Error"].(map[string]any)
	code, _ := e["Code"].(string)
	return code
}

// lookup walks a decoded JSON body along the given keys.
func lookup(body map[string]any, keys ...string) string {
	var cur any = body
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

func callerARN(body map[string]any) string {
	return lookup(body, "GetCallerIdentityResponse", "GetCallerIdentityResult", "Arn")
}

func gci() url.Values { return url.Values{"Action": {"GetCallerIdentity"}, "Version": {APIVersion}} }

func creds(k AccessKey) aws.Credentials {
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
}

// assumedCreds reads the credentials of a JSON AssumeRole response.
func assumedCreds(body map[string]any) aws.Credentials {
	path := []string{"AssumeRoleResponse", "AssumeRoleResult", "Credentials"}
	return aws.Credentials{
		AccessKeyID:     lookup(body, append(path, "AccessKeyId")...),
		SecretAccessKey: lookup(body, append(path, "SecretAccessKey")...),
		SessionToken:    lookup(body, append(path, "SessionToken")...),
	}
}

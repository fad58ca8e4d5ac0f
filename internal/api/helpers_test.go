package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/metrics"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
	"github.com/kubeiam/kubeiam/internal/testutil"
)

// t0 is the API's clock in tests; the local STS uses the real clock, which
// the SDK and CLI sign with.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	testCluster   = "kubeiam-dev"
	creatorARN    = "arn:aws:iam::111122223333:user/creator"
	developerARN  = "arn:aws:iam::111122223333:user/developer"
	adminRoleARN  = "arn:aws:iam::111122223333:role/admin"
	viewPolicyARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
	adminPolicy   = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
)

// fixture is a local STS and the API on one loopback server, as the dev
// server mounts them: /clusters/ and /access-policies to the API, the rest
// to the STS.
type fixture struct {
	stsCfg  *localsts.Config
	sts     *localsts.Server
	store   *store.Store
	api     *Handler
	url     string
	audit   *testutil.SyncBuffer
	logs    *testutil.SyncBuffer
	metrics *metrics.Metrics
}

// The API server DescribeCluster reports.
const (
	testKubernetesEndpoint = "https://127.0.0.1:6443"
	testKubernetesCA       = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
)

type fixtureOptions struct {
	mode     access.Mode
	managers []string
	// noBootstrap stores bootstrapClusterCreatorAdminPermissions false.
	noBootstrap bool
}

func newFixture(t *testing.T, o fixtureOptions) *fixture {
	t.Helper()
	if o.mode == "" {
		o.mode = access.ModeConfigMap
	}
	f := &fixture{stsCfg: localsts.DevConfig(rand.NewChaCha8([32]byte{1})), audit: &testutil.SyncBuffer{}, logs: &testutil.SyncBuffer{}, metrics: metrics.New()}
	var err error
	if f.sts, err = localsts.New(f.stsCfg, localsts.Options{Rand: rand.NewChaCha8([32]byte{2})}); err != nil {
		t.Fatal(err)
	}
	if f.store, err = store.Open(memory.New()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.store.Close() })
	_, err = f.store.PutCluster(access.ClusterConfig{
		Name: testCluster, Region: "us-east-1", AccountID: localsts.DevAccount, AuthenticationMode: o.mode,
		BootstrapClusterCreatorAdminPermissions: !o.noBootstrap, CreatorARN: creatorARN, CreatedAt: t0.Add(-time.Hour),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.api, err = New(Config{
		Store:                f.store,
		Authenticator:        Chain{SigV4: SigV4Authenticator{Verify: f.sts.AuthenticateRequest, Region: "us-east-1"}},
		CreatorARN:           creatorARN,
		Managers:             o.managers,
		Metrics:              f.metrics,
		Logger:               slog.New(slog.NewJSONHandler(f.logs, nil)),
		Audit:                f.audit,
		Now:                  func() time.Time { return t0 },
		Endpoint:             testKubernetesEndpoint,
		CertificateAuthority: []byte(testKubernetesCA),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mountTogether(f.api, f.sts))
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

// mountTogether routes the API's paths to api and everything else to other.
func mountTogether(api, other http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/clusters", api)
	mux.Handle("/clusters/", api)
	mux.Handle("/tags/", api)
	mux.Handle("/access-policies", api)
	mux.Handle("/", other)
	return mux
}

func (f *fixture) key(user string) localsts.AccessKey {
	for _, u := range f.stsCfg.Accounts[0].Users {
		if u.Name == user {
			return u.AccessKeys[0]
		}
	}
	panic("no dev user " + user)
}

func (f *fixture) creds(user string) aws.Credentials {
	k := f.key(user)
	return aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
}

// client returns an SDK EKS client signing with c.
func (f *fixture) client(c aws.Credentials) *eks.Client {
	return eks.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil }),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	}, func(o *eks.Options) { o.BaseEndpoint = aws.String(f.url) })
}

// response is a raw answer of the API.
type response struct {
	status  int
	errType string
	body    map[string]any
	header  http.Header
}

func (r response) message() string { s, _ := r.body["message"].(string); return s }

// do sends a request signed with c (unsigned when c is nil).
func (f *fixture) do(t *testing.T, c *aws.Credentials, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c != nil {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), *c, req, hex.EncodeToString(sum[:]), "eks", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: resp.StatusCode, errType: resp.Header.Get("X-Amzn-ErrorType"), header: resp.Header}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
	}
	return out
}

// entryPath is the escaped path of an access entry, as the SDKs send it.
func entryPath(principal string, rest ...string) string {
	p := "/clusters/" + testCluster + "/access-entries/" + url.PathEscape(principal)
	p = strings.ReplaceAll(p, ":", "%3A")
	for _, r := range rest {
		p += "/" + strings.ReplaceAll(url.PathEscape(r), ":", "%3A")
	}
	return p
}

// apiErrorCode returns the error code of an SDK error, "" for nil.
func apiErrorCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	return ae.ErrorCode()
}

// auditLines decodes the audit log.
func (f *fixture) auditLines(t *testing.T) []AuditRecord {
	t.Helper()
	var out []AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(f.audit.String()), "\n") {
		if line == "" {
			continue
		}
		var r AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// assumeRole has user assume role through the local STS and returns the
// session's credentials.
func assumeRole(t *testing.T, f *fixture, user, role, session string) aws.Credentials {
	t.Helper()
	c := awssts.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(f.key(user).AccessKeyID, f.key(user).SecretAccessKey, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	}, func(o *awssts.Options) { o.BaseEndpoint = aws.String(f.url) })
	out, err := c.AssumeRole(context.Background(), &awssts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(session)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken: aws.ToString(out.Credentials.SessionToken)}
}

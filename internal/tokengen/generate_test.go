package tokengen

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/partition"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

var signedAt = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func staticCreds(sessionToken string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(tokentest.AccessKeyID, tokentest.SecretAccessKey, sessionToken)
}

// decodeURL returns the presigned URL inside tok.
func decodeURL(t *testing.T, tok string) *url.URL {
	t.Helper()
	text, err := token.Decode(tok)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	u, err := url.Parse(text)
	if err != nil {
		t.Fatalf("parsing presigned URL: %v", err)
	}
	return u
}

func TestGenerateProducesAValidPresignedURL(t *testing.T) {
	tests := []struct {
		name         string
		opts         Options
		sessionToken string
		wantHost     string
		wantRegion   string // credential scope
	}{
		{name: "regional commercial", opts: Options{ClusterID: "prod", Region: "us-west-2"}, wantHost: "sts.us-west-2.amazonaws.com", wantRegion: "us-west-2"},
		{name: "global commercial signs for us-east-1", opts: Options{ClusterID: "prod", Region: "eu-west-1", Global: true}, wantHost: "sts.amazonaws.com", wantRegion: "us-east-1"},
		{name: "china", opts: Options{ClusterID: "prod", Region: "cn-north-1"}, wantHost: "sts.cn-north-1.amazonaws.com.cn", wantRegion: "cn-north-1"},
		{name: "govcloud", opts: Options{ClusterID: "prod", Region: "us-gov-west-1"}, wantHost: "sts.us-gov-west-1.amazonaws.com", wantRegion: "us-gov-west-1"},
		{name: "temporary credentials carry their session token", opts: Options{ClusterID: "c", Region: "ap-southeast-2"}, sessionToken: "FwoGZXIvYXdzEXAMPLE", wantHost: "sts.ap-southeast-2.amazonaws.com", wantRegion: "ap-southeast-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = fixedClock(signedAt)
			got, err := Generate(context.Background(), staticCreds(tt.sessionToken), tt.opts)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if got.Host != tt.wantHost {
				t.Errorf("Host = %q, want %q", got.Host, tt.wantHost)
			}
			if want := time.Date(2026, 3, 14, 15, 23, 26, 0, time.UTC); !got.Expiration.Equal(want) {
				t.Errorf("Expiration = %v, want X-Amz-Date + 14m = %v", got.Expiration, want)
			}
			u := decodeURL(t, got.Value)
			if u.Scheme != "https" || u.Host != tt.wantHost || u.Path != "/" {
				t.Errorf("URL = %s://%s%s, want https://%s/", u.Scheme, u.Host, u.Path, tt.wantHost)
			}
			q := u.Query()
			want := map[string]string{
				"Action":               "GetCallerIdentity",
				"Version":              "2011-06-15",
				"X-Amz-Algorithm":      "AWS4-HMAC-SHA256",
				"X-Amz-Expires":        "60",
				"X-Amz-Date":           "20260314T150926Z",
				"X-Amz-SignedHeaders":  "host;x-k8s-aws-id",
				"X-Amz-Credential":     tokentest.AccessKeyID + "/20260314/" + tt.wantRegion + "/sts/aws4_request",
				"X-Amz-Security-Token": tt.sessionToken,
			}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("query %s = %q, want %q", k, q.Get(k), v)
				}
			}
			if len(q.Get("X-Amz-Signature")) != 64 {
				t.Errorf("X-Amz-Signature = %q, want 64 hex digits", q.Get("X-Amz-Signature"))
			}

			// The token must be the one any SigV4 client would mint, and
			// the server-side validator must accept it.
			same := tokentest.Token(t, tokentest.Options{Host: tt.wantHost, Region: tt.wantRegion, ClusterID: tt.opts.ClusterID,
				SessionToken: tt.sessionToken, SignedAt: signedAt.Truncate(time.Second)})
			if got.Value != same {
				t.Errorf("token differs from tokentest's for the same request:\n got %s\nwant %s", got.Value, same)
			}
			p, err := partition.New().ForRegion(tt.opts.Region)
			if err != nil {
				t.Fatal(err)
			}
			v := token.Validator{Partition: p, Now: fixedClock(signedAt.Add(time.Minute))}
			req, err := v.Validate(got.Value)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if req.Region != tt.wantRegion || req.AccessKeyID != tokentest.AccessKeyID {
				t.Errorf("validated region %q, key %q", req.Region, req.AccessKeyID)
			}
		})
	}
}

// countingProvider fails the test if credentials are asked for.
type countingProvider struct{ calls int }

func (c *countingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	c.calls++
	return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"}, nil
}

func TestGenerateRefusesBadOptionsBeforeTouchingCredentials(t *testing.T) {
	now := fixedClock(signedAt)
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{name: "empty cluster ID", opts: Options{Region: "us-east-1", Now: now}, want: ErrClusterID},
		{name: "cluster ID too long", opts: Options{ClusterID: strings.Repeat("c", 101), Region: "us-east-1", Now: now}, want: ErrClusterID},
		{name: "cluster ID with a space", opts: Options{ClusterID: "my cluster", Region: "us-east-1", Now: now}, want: ErrClusterID},
		{name: "cluster ID with a newline", opts: Options{ClusterID: "c\nx-evil: 1", Region: "us-east-1", Now: now}, want: ErrClusterID},
		{name: "cluster ID not ASCII", opts: Options{ClusterID: "clüster", Region: "us-east-1", Now: now}, want: ErrClusterID},
		{name: "empty region", opts: Options{ClusterID: "c", Now: now}, want: ErrRegion},
		{name: "malformed region", opts: Options{ClusterID: "c", Region: "US-EAST-1", Now: now}, want: ErrRegion},
		{name: "unknown region", opts: Options{ClusterID: "c", Region: "mars-north-1", Now: now}, want: ErrRegion},
		{name: "global outside the commercial partition", opts: Options{ClusterID: "c", Region: "cn-north-1", Global: true, Now: now}, want: ErrGlobal},
		{name: "no clock", opts: Options{ClusterID: "c", Region: "us-east-1"}, want: ErrNoClock},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := &countingProvider{}
			_, err := Generate(context.Background(), creds, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Generate error = %v, want %v", err, tt.want)
			}
			if creds.calls != 0 {
				t.Errorf("credentials retrieved %d times before validation failed", creds.calls)
			}
		})
	}
	if err := (Options{ClusterID: strings.Repeat("c", 100), Region: "us-east-1", Now: now}).Validate(); err != nil {
		t.Errorf("100-character cluster ID refused: %v", err)
	}
}

type failingProvider struct{ err error }

func (f failingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, f.err
}

func TestGenerateReportsCredentialFailures(t *testing.T) {
	cause := errors.New("no EC2 IMDS role found")
	opts := Options{ClusterID: "c", Region: "us-east-1", Now: fixedClock(signedAt)}
	_, err := Generate(context.Background(), failingProvider{err: cause}, opts)
	if !errors.Is(err, ErrCredentials) || !errors.Is(err, cause) {
		t.Errorf("error = %v, want ErrCredentials wrapping the cause", err)
	}
	if _, err := Generate(context.Background(), nil, opts); !errors.Is(err, ErrCredentials) {
		t.Errorf("nil provider: error = %v, want ErrCredentials", err)
	}
}

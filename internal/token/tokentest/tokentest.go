// Package tokentest mints real k8s-aws-v1 tokens for tests: it presigns an
// STS GetCallerIdentity request with the AWS SDK's SigV4 signer, exactly as
// a client would, so the token, sts and cli tests all exercise genuine
// presigned URLs rather than hand-written look-alikes. Only tests import it.
package tokentest

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kubeiam/kubeiam/internal/token"
)

// emptyPayloadHash is the SHA-256 of an empty body, which a presigned GET signs.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Test credentials. They are AWS's documented example keys, not secrets.
const (
	AccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// Options describe the token to mint. The zero value mints a token for the
// global endpoint, cluster "test-cluster", signed at the Unix epoch; tests
// normally set SignedAt.
type Options struct {
	// Host is the STS host to sign for; default sts.amazonaws.com.
	Host string
	// Region is the signing region; default us-east-1.
	Region string
	// ClusterID is the signed x-k8s-aws-id header; default "test-cluster".
	ClusterID string
	// AccessKeyID and SecretAccessKey default to the example keys above.
	AccessKeyID, SecretAccessKey string
	// SessionToken, when set, is presigned as X-Amz-Security-Token.
	SessionToken string
	// SignedAt is the signing time.
	SignedAt time.Time
	// Expires is X-Amz-Expires; default 60s, as "aws eks get-token" uses.
	Expires time.Duration
	// ZeroExpires signs X-Amz-Expires=0, as aws-iam-authenticator releases
	// before v0.6.28 do (its PR #753); Expires is then ignored.
	ZeroExpires bool
	// ExtraQuery is added to the query before signing.
	ExtraQuery url.Values
	// Audience selects the headers signed with ClusterID (see
	// token.Audience.Headers); default the cluster.
	Audience token.Audience
}

// PresignURL returns the presigned GetCallerIdentity URL described by o.
func PresignURL(tb testing.TB, o Options) string {
	tb.Helper()
	if o.Host == "" {
		o.Host = "sts.amazonaws.com"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.ClusterID == "" {
		o.ClusterID = "test-cluster"
	}
	if o.AccessKeyID == "" {
		o.AccessKeyID, o.SecretAccessKey = AccessKeyID, SecretAccessKey
	}
	if o.Expires == 0 {
		o.Expires = 60 * time.Second
	}
	if o.ZeroExpires {
		o.Expires = 0
	}
	q := url.Values{
		"Action":        {"GetCallerIdentity"},
		"Version":       {"2011-06-15"},
		"X-Amz-Expires": {strconv.FormatInt(int64(o.Expires/time.Second), 10)},
	}
	for k, vs := range o.ExtraQuery {
		q[k] = append(q[k], vs...)
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+o.Host+"/?"+q.Encode(), nil)
	if err != nil {
		tb.Fatalf("tokentest: building request: %v", err)
	}
	for name, value := range o.Audience.Headers(o.ClusterID) {
		req.Header.Set(name, value)
	}
	creds := aws.Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, SessionToken: o.SessionToken}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptyPayloadHash, "sts", o.Region, o.SignedAt)
	if err != nil {
		tb.Fatalf("tokentest: presigning: %v", err)
	}
	return signed
}

// Token returns the k8s-aws-v1 token described by o.
func Token(tb testing.TB, o Options) string {
	tb.Helper()
	return token.Encode(PresignURL(tb, o))
}

// Package tokengen mints k8s-aws-v1 tokens: it presigns an STS
// GetCallerIdentity request with the AWS SDK's SigV4 signer, the way
// aws-iam-authenticator and "aws eks get-token" do, and loads the
// credentials to sign with through the SDK's default chain. It is the
// client-side adapter over the AWS SDK; checking tokens is internal/token's
// business.
package tokengen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"

	"github.com/kubeiam/kubeiam/internal/token"
)

// PresignExpires is the X-Amz-Expires every token carries. EKS clients send
// 60 seconds; STS nevertheless accepts GetCallerIdentity presigned URLs for
// 15 minutes, and verifiers allow for that (see token.ServerValidity).
const PresignExpires = 60 * time.Second

// emptyPayloadHash is the SHA-256 of an empty body, which a presigned GET signs.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ErrCredentials is the class of failures to obtain the credentials a token
// is signed with: none found, an expired SSO session, a refused AssumeRole.
var ErrCredentials = errors.New("cannot get AWS credentials")

// ErrSSOSession: the profile's IAM Identity Center (SSO) session has
// expired, or there was never one ("aws sso login" not run). It comes
// wrapped with ErrCredentials.
var ErrSSOSession = errors.New("SSO session expired or missing")

// Token is a freshly minted bearer token.
type Token struct {
	// Value is the k8s-aws-v1 token. It is a credential: print it only as
	// a command's output, never log it.
	Value string
	// Expiration is when clients should stop using the token: X-Amz-Date
	// plus token.ClientValidity (14 minutes), a minute before verifiers
	// refuse it.
	Expiration time.Time
	// Host is the STS host name the token is presigned for.
	Host string
}

// Generate presigns GET https://HOST/?Action=GetCallerIdentity&Version=2011-06-15
// with the credentials creds provides, the x-k8s-aws-id header signed to
// bind the token to opts.ClusterID and opts.Audience. The options are checked before
// credentials are retrieved, so a typo never costs a network round trip.
//
// HOST is always a real AWS STS host name of the region's partition, never
// an endpoint override: the verifier, not the client, decides where a token
// is sent, and it refuses every other host.
func Generate(ctx context.Context, creds aws.CredentialsProvider, opts Options) (Token, error) {
	ep, err := opts.endpoint()
	if err != nil {
		return Token{}, err
	}
	if creds == nil {
		return Token{}, fmt.Errorf("%w: no credentials provider", ErrCredentials)
	}
	c, err := creds.Retrieve(ctx)
	if err != nil {
		if ssoSessionGone(err) {
			return Token{}, fmt.Errorf("%w: %w: %w", ErrCredentials, ErrSSOSession, err)
		}
		return Token{}, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	// X-Amz-Date has a resolution of one second; the expiry derives from it.
	signedAt := opts.Now().UTC().Truncate(time.Second)
	presigned, err := presign(ctx, c, ep, opts.Audience.Headers(opts.ClusterID), signedAt)
	if err != nil {
		return Token{}, err
	}
	return Token{
		Value:      token.Encode(presigned),
		Expiration: token.ClientExpiry(signedAt),
		Host:       ep.host,
	}, nil
}

// ssoSessionGone reports whether err says the SSO access token that "aws
// sso login" caches is expired or absent: the legacy sso_start_url
// profiles fail with ssocreds.InvalidTokenError, sso_session profiles with
// the token provider's failure to read or refresh the cached token.
func ssoSessionGone(err error) bool {
	var invalid *ssocreds.InvalidTokenError
	if errors.As(err, &invalid) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "cached SSO token")
}

// presign signs the GetCallerIdentity request for ep at signedAt.
func presign(ctx context.Context, c aws.Credentials, ep endpoint, binding map[string]string, signedAt time.Time) (string, error) {
	q := url.Values{
		"Action":        {"GetCallerIdentity"},
		"Version":       {"2011-06-15"},
		"X-Amz-Expires": {strconv.Itoa(int(PresignExpires / time.Second))},
	}
	u := url.URL{Scheme: "https", Host: ep.host, Path: "/", RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("building GetCallerIdentity request: %w", err)
	}
	// Every header on the request is signed; these bind the token to the
	// cluster and the audience.
	for name, value := range binding {
		req.Header.Set(name, value)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, c, req, emptyPayloadHash, "sts", ep.signingRegion, signedAt)
	if err != nil {
		return "", fmt.Errorf("presigning GetCallerIdentity: %w", err)
	}
	return signed, nil
}

package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/smithy-go"
)

// TestSigV4CredentialScope: a request signed for another region or another
// service is refused as AWS's front end refuses it, InvalidSignatureException
// (403) with its message, before the signature is checked.
func TestSigV4CredentialScope(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	creds := f.creds("creator")

	t.Run("SDK client in another region", func(t *testing.T) {
		c := eks.NewFromConfig(aws.Config{
			Region:           "us-west-2",
			Credentials:      aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
			RetryMaxAttempts: 1,
			HTTPClient:       &http.Client{},
		}, func(o *eks.Options) { o.BaseEndpoint = aws.String(f.url) })
		_, err := c.DescribeCluster(context.Background(), &eks.DescribeClusterInput{Name: aws.String(testCluster)})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidSignatureException" ||
			ae.ErrorMessage() != "Credential should be scoped to a valid region, not 'us-west-2'." {
			t.Errorf("DescribeCluster signed for us-west-2: %v", err)
		}
	})
	for _, tt := range []struct {
		name, region, service, msg string
	}{
		{"another service", "us-east-1", "sts", "Credential should be scoped to correct service: 'eks'."},
		{"another region and service", "eu-west-1", "iam", "Credential should be scoped to correct service: 'eks'."},
		{"another region", "eu-west-1", "eks", "Credential should be scoped to a valid region, not 'eu-west-1'."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, f.url+"/clusters/"+testCluster, nil)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(nil)
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), tt.service, tt.region, time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Message string }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" || body.Message != tt.msg {
				t.Errorf("%d %s %q, want 403 InvalidSignatureException %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body.Message, tt.msg)
			}
		})
	}
}

package ec2dns

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// ClientConfig says how NewClient builds the EC2 client.
type ClientConfig struct {
	// Region is the EC2 region the instances run in. Required.
	Region string
	// Endpoint, when set, receives every call (a VPC endpoint, a proxy, a
	// test server) instead of the region's public endpoint.
	Endpoint string
	// Credentials sign the calls; nil means the SDK's default chain
	// (environment, shared files, web identity, container and instance
	// roles).
	Credentials aws.CredentialsProvider
	// MaxAttempts is the SDK's attempts per call, retries included; 0
	// means the SDK's default (3).
	MaxAttempts int
}

// NewClient returns an EC2 client configured from c alone: region and
// endpoint come from kubeiam's configuration, never from AWS_REGION,
// AWS_ENDPOINT_URL or a profile, so the server, not its environment,
// decides where node names come from. Only credentials come from the
// default chain, and they are resolved at the first call, not here.
func NewClient(ctx context.Context, c ClientConfig) (*ec2.Client, error) {
	if c.Region == "" {
		return nil, errors.New("ec2 client: region is required")
	}
	creds := c.Credentials
	if creds == nil {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(c.Region))
		if err != nil {
			return nil, fmt.Errorf("ec2 client: load AWS credentials: %w", err)
		}
		creds = cfg.Credentials
	}
	opts := ec2.Options{
		Region:           c.Region,
		Credentials:      creds,
		RetryMaxAttempts: c.MaxAttempts,
		HTTPClient:       noRedirects(),
	}
	if c.Endpoint != "" {
		opts.BaseEndpoint = aws.String(c.Endpoint)
	}
	return ec2.New(opts), nil
}

// noRedirects is an HTTP client that refuses redirects: a signed
// DescribeInstances call goes where the configuration says or nowhere.
func noRedirects() *http.Client {
	return &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

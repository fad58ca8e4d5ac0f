package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// creds returns the access key of a seeded dev user.
func (d *devServer) creds(t *testing.T, user string) aws.Credentials {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(d.dir, "sts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := localsts.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.Accounts[0].Users {
		if u.Name == user {
			return aws.Credentials{AccessKeyID: u.AccessKeys[0].AccessKeyID, SecretAccessKey: u.AccessKeys[0].SecretAccessKey}
		}
	}
	t.Fatalf("no dev user %s", user)
	return aws.Credentials{}
}

// mint presigns a token with c for the server's cluster and aud, as
// "kubeiam token" does.
func (d *devServer) mint(t *testing.T, c aws.Credentials, aud token.Audience) string {
	t.Helper()
	tok, err := tokengen.Generate(context.Background(), credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		tokengen.Options{ClusterID: d.clusterID, Region: DevRegion, Audience: aud, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Value
}

// token mints a cluster token for a seeded user.
func (d *devServer) token(t *testing.T, user string) string {
	t.Helper()
	return d.mint(t, d.creds(t, user), token.AudienceCluster)
}

// tokenFor mints a token for a seeded user and audience.
func (d *devServer) tokenFor(t *testing.T, user string, aud token.Audience) string {
	t.Helper()
	return d.mint(t, d.creds(t, user), aud)
}

// apiTokenFor mints an API-audience token with c (a role session, say).
func (d *devServer) apiTokenFor(t *testing.T, c aws.Credentials) string {
	t.Helper()
	return d.mint(t, c, token.AudienceAPI)
}

// diag sends a bearer-token request to a diagnosis endpoint and returns
// the HTTP status.
func (d *devServer) diag(t *testing.T, method, path, tok, body string) int {
	t.Helper()
	code, _ := d.call(t, method, path, body, tok)
	return code
}

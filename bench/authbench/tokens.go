package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

const clusterID = "bench"

// identities are the local STS's dev identities, written to a config file
// the STS process loads.
type identities struct {
	cfg  *localsts.Config
	path string
}

func writeIdentities(dir string) (*identities, error) {
	cfg := localsts.DevConfig(rand.Reader)
	b, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "sts.yaml")
	return &identities{cfg: cfg, path: path}, os.WriteFile(path, b, 0o600)
}

// user returns the keys of a seeded user.
func (ids *identities) user(name string) (akid, secret string, err error) {
	for _, u := range ids.cfg.Accounts[0].Users {
		if u.Name == name {
			return u.AccessKeys[0].AccessKeyID, u.AccessKeys[0].SecretAccessKey, nil
		}
	}
	return "", "", fmt.Errorf("no seeded user %s", name)
}

// regions are those the tokens are signed for: distinct signing regions
// multiply the distinct tokens one second can make.
var regions = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
	"eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ca-central-1", "sa-east-1"}

// mint returns n distinct tokens of user: distinct signing seconds and
// regions, the oldest signed at most 5 minutes ago, so every one stays
// valid (15 minutes) for the whole run.
func (ids *identities) mint(ctx context.Context, user string, n int) ([]string, error) {
	akid, secret, err := ids.user(user)
	if err != nil {
		return nil, err
	}
	creds := credentials.NewStaticCredentialsProvider(akid, secret, "")
	now := time.Now()
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		at := now.Add(-time.Duration(i/len(regions)) * time.Second)
		if now.Sub(at) > 5*time.Minute {
			return nil, fmt.Errorf("cannot mint %d distinct tokens within 5 minutes of signing times", n)
		}
		tok, err := tokengen.Generate(ctx, creds, tokengen.Options{ClusterID: clusterID, Region: regions[i%len(regions)], Now: func() time.Time { return at }})
		if err != nil {
			return nil, err
		}
		out = append(out, tok.Value)
	}
	return out, nil
}

// writeAWSAuth writes an aws-auth file with n mappings, one of which maps
// the developer user.
func writeAWSAuth(dir string, n int) (string, error) {
	var b strings.Builder
	b.WriteString("mapRoles: |\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "  - rolearn: arn:aws:iam::%s:role/bench-role-%d\n    username: bench-%d:{{SessionName}}\n    groups: [bench]\n", localsts.DevAccount, i, i)
	}
	if n == 1 {
		b.WriteString("  []\n")
	}
	fmt.Fprintf(&b, "mapUsers: |\n  - userarn: arn:aws:iam::%s:user/%s\n    username: developer\n    groups: [developers]\n", localsts.DevAccount, localsts.DevDeveloperUser)
	path := filepath.Join(dir, fmt.Sprintf("aws-auth-%d.yaml", n))
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

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
	// More access keys for the developer: distinct tokens come from
	// distinct keys and signing seconds, all for one region, so every STS
	// call goes to one host, as in a real cluster (tokens spread over many
	// regional hosts would spread a server's connections over as many
	// pools).
	for i, u := range cfg.Accounts[0].Users {
		if u.Name != localsts.DevDeveloperUser {
			continue
		}
		for len(cfg.Accounts[0].Users[i].AccessKeys) < keysPerUser {
			cfg.Accounts[0].Users[i].AccessKeys = append(cfg.Accounts[0].Users[i].AccessKeys, localsts.AccessKey{
				AccessKeyID: "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), SecretAccessKey: randomString(40, secretChars),
			})
		}
	}
	b, err := cfg.Marshal()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "sts.yaml")
	return &identities{cfg: cfg, path: path}, os.WriteFile(path, b, 0o600)
}

// keysPerUser is how many access keys the developer has: with 300
// signing seconds, 9,600 distinct tokens.
const keysPerUser = 32

const secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// keys returns the access keys of a seeded user.
func (ids *identities) keys(name string) ([]localsts.AccessKey, error) {
	for _, u := range ids.cfg.Accounts[0].Users {
		if u.Name == name {
			return u.AccessKeys, nil
		}
	}
	return nil, fmt.Errorf("no seeded user %s", name)
}

// user returns the first access key of a seeded user.
func (ids *identities) user(name string) (akid, secret string, err error) {
	keys, err := ids.keys(name)
	if err != nil {
		return "", "", err
	}
	return keys[0].AccessKeyID, keys[0].SecretAccessKey, nil
}

// mint returns n distinct tokens of user for one region: distinct access
// keys and signing seconds, the oldest signed at most 5 minutes ago, so
// every one stays valid (15 minutes) for the whole run.
func (ids *identities) mint(ctx context.Context, user string, n int) ([]string, error) {
	keys, err := ids.keys(user)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		at := now.Add(-time.Duration(i/len(keys)) * time.Second)
		if now.Sub(at) > 5*time.Minute {
			return nil, fmt.Errorf("cannot mint %d distinct tokens within 5 minutes of signing times", n)
		}
		k := keys[i%len(keys)]
		creds := credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")
		tok, err := tokengen.Generate(ctx, creds, tokengen.Options{ClusterID: clusterID, Region: "us-east-1", Now: func() time.Time { return at }})
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

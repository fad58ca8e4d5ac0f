package localsts

import (
	"fmt"
	"io"
)

// The identities DevConfig creates. Other packages (the dev server, the
// tour, tests) refer to them by these names.
const (
	// DevAccount is the account of every dev identity.
	DevAccount = "111122223333"
	// DevCreatorUser is the IAM user that "created" the dev cluster.
	DevCreatorUser = "creator"
	// DevDeveloperUser is an IAM user mapped to nothing.
	DevDeveloperUser = "developer"
	// DevAdminRole is a role that developer and creator may assume.
	DevAdminRole = "admin"
	// DevSSORole is an IAM Identity Center permission-set role that
	// developer may assume.
	DevSSORole = "AWSReservedSSO_AdminAccess_0123456789abcdef"
	// DevSSORolePath is the IAM path of DevSSORole.
	DevSSORolePath = "/aws-reserved/sso.amazonaws.com/us-east-1/"
)

// DevConfig returns a config with one account, DevAccount, holding the users
// DevCreatorUser and DevDeveloperUser, each with one access key drawn from
// rand, and the roles DevAdminRole (trusting both users) and DevSSORole
// under DevSSORolePath (trusting developer).
//
// rand must not fail: pass crypto/rand.Reader, or a seeded reader in tests.
// A failing reader is a programming error and panics, as crypto/rand itself
// does.
func DevConfig(rand io.Reader) *Config {
	userARN := func(name string) string { return "arn:aws:iam::" + DevAccount + ":user/" + name }
	key := func() AccessKey {
		return AccessKey{
			AccessKeyID:     "AKIA" + mustRandom(rand, 16, upperAlnumAlphabet),
			SecretAccessKey: mustRandom(rand, 40, secretAlphabet),
		}
	}
	return &Config{
		Partition: "aws",
		Accounts: []Account{{
			ID: DevAccount,
			Users: []User{
				{Name: DevCreatorUser, Path: "/", AccessKeys: []AccessKey{key()}},
				{Name: DevDeveloperUser, Path: "/", AccessKeys: []AccessKey{key()}},
			},
			Roles: []Role{
				{Name: DevAdminRole, Path: "/", Trust: []string{userARN(DevDeveloperUser), userARN(DevCreatorUser)}},
				{Name: DevSSORole, Path: DevSSORolePath, Trust: []string{userARN(DevDeveloperUser)}},
			},
		}},
	}
}

const (
	upperAlnumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func mustRandom(rand io.Reader, n int, alphabet string) string {
	s, err := randomString(rand, n, alphabet)
	if err != nil {
		panic(err)
	}
	return s
}

// randomString draws n characters uniformly from alphabet (at most 256
// characters), rejecting bytes that would bias the draw.
func randomString(rand io.Reader, n int, alphabet string) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return "", fmt.Errorf("read random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubeiam/kubeiam/internal/localsts"
)

// awsFiles are the AWS shared files dev mode writes.
type awsFiles struct {
	Config, Credentials string
	// Profiles maps profile name → principal ARN.
	Profiles map[string]string
}

// writeAWSFiles writes an AWS shared credentials and config file with one
// profile per seeded user, so AWS_PROFILE=developer works with the AWS CLI
// and kubeiam token. Roles are reached with --role-arn (kubeiam token) or
// aws sts assume-role, since the AWS CLI cannot send a profile's
// AssumeRole to a local endpoint.
func writeAWSFiles(dir string, cfg *localsts.Config) (awsFiles, error) {
	awsDir := filepath.Join(dir, "aws")
	if err := ensureDir(awsDir); err != nil {
		return awsFiles{}, err
	}
	f := awsFiles{
		Config:      filepath.Join(awsDir, "config"),
		Credentials: filepath.Join(awsDir, "credentials"),
		Profiles:    map[string]string{},
	}
	var creds, conf strings.Builder
	for _, acct := range cfg.Accounts {
		for _, u := range acct.Users {
			if len(u.AccessKeys) == 0 {
				continue
			}
			k := u.AccessKeys[0]
			fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", u.Name, k.AccessKeyID, k.SecretAccessKey)
			fmt.Fprintf(&conf, "[profile %s]\nregion = %s\noutput = json\n\n", u.Name, DevRegion)
			path := u.Path
			if path == "" {
				path = "/"
			}
			f.Profiles[u.Name] = "arn:aws:iam::" + acct.ID + ":user" + path + u.Name
		}
	}
	if err := os.WriteFile(f.Credentials, []byte(creds.String()), 0o600); err != nil {
		return awsFiles{}, fmt.Errorf("write %s: %w", f.Credentials, err)
	}
	if err := os.WriteFile(f.Config, []byte(conf.String()), 0o600); err != nil {
		return awsFiles{}, fmt.Errorf("write %s: %w", f.Config, err)
	}
	return f, nil
}

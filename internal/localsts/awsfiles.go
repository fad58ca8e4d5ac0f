package localsts

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Profile is one profile of the AWS shared files WriteAWSFiles writes: an
// IAM user of the configuration with its first access key.
type Profile struct {
	Name, ARN                    string
	AccessKeyID, SecretAccessKey string
}

// AWSFiles are the AWS shared credentials and config files written for a
// configuration, with the profiles they hold by name.
type AWSFiles struct {
	Credentials, Config string
	Profiles            map[string]Profile
}

// WriteAWSFiles writes dir/credentials and dir/config (mode 0600, dir 0700)
// with one profile per IAM user that has an access key, named after the
// user, so that AWS_PROFILE=developer works with the AWS CLI, the SDKs and
// "kubeiam token". Roles have no profile: the AWS CLI cannot send a
// profile's AssumeRole to a local endpoint, so callers use --role-arn.
func (c *Config) WriteAWSFiles(dir, region string) (AWSFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return AWSFiles{}, fmt.Errorf("aws files: %w", err)
	}
	f := AWSFiles{
		Credentials: filepath.Join(dir, "credentials"),
		Config:      filepath.Join(dir, "config"),
		Profiles:    map[string]Profile{},
	}
	partition := c.Partition
	if partition == "" {
		partition = "aws"
	}
	var creds, conf strings.Builder
	for _, acct := range c.Accounts {
		for _, u := range acct.Users {
			if len(u.AccessKeys) == 0 {
				continue
			}
			k := u.AccessKeys[0]
			path := u.Path
			if path == "" {
				path = "/"
			}
			f.Profiles[u.Name] = Profile{
				Name: u.Name, ARN: "arn:" + partition + ":iam::" + acct.ID + ":user" + path + u.Name,
				AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey,
			}
			fmt.Fprintf(&creds, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", u.Name, k.AccessKeyID, k.SecretAccessKey)
			fmt.Fprintf(&conf, "[profile %s]\nregion = %s\noutput = json\n\n", u.Name, region)
		}
	}
	for path, data := range map[string]string{f.Credentials: creds.String(), f.Config: conf.String()} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			return AWSFiles{}, fmt.Errorf("aws files: %w", err)
		}
	}
	return f, nil
}

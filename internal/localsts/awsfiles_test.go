package localsts

import (
	"os"
	"strings"
	"testing"
)

func TestWriteAWSFiles(t *testing.T) {
	cfg := DevConfig(strings.NewReader(strings.Repeat("x", 4096)))
	f, err := cfg.WriteAWSFiles(t.TempDir(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	dev, ok := f.Profiles[DevDeveloperUser]
	if !ok || dev.ARN != "arn:aws:iam::111122223333:user/developer" || dev.AccessKeyID == "" {
		t.Fatalf("developer profile = %+v", dev)
	}
	creds, _ := os.ReadFile(f.Credentials)
	conf, _ := os.ReadFile(f.Config)
	if !strings.Contains(string(creds), "[developer]\naws_access_key_id = "+dev.AccessKeyID+"\naws_secret_access_key = "+dev.SecretAccessKey) {
		t.Errorf("credentials file:\n%s", creds)
	}
	if !strings.Contains(string(conf), "[profile creator]\nregion = eu-west-1\n") {
		t.Errorf("config file:\n%s", conf)
	}
	for _, p := range []string{f.Credentials, f.Config} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", p, st.Mode().Perm(), err)
		}
	}
}

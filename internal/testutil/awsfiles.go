package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// AWSEnv is an environment for code that reads the AWS shared files and
// variables through a getenv function: a fresh HOME, instance metadata
// disabled (a test never reaches beyond loopback), and the pairs in kv.
func AWSEnv(t *testing.T, kv ...string) map[string]string {
	t.Helper()
	m := map[string]string{"HOME": t.TempDir(), "AWS_EC2_METADATA_DISABLED": "true"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Getenv looks variables up in m.
func Getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// WriteAWSFiles writes HOME/.aws/config and HOME/.aws/credentials.
func WriteAWSFiles(t *testing.T, home, config, credentials string) {
	t.Helper()
	dir := filepath.Join(home, ".aws")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"config": config, "credentials": credentials} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

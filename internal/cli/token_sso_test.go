package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
)

// TestTokenNamesAnExpiredSSOSession: the fix for an expired "aws sso
// login" is that command, for that profile.
func TestTokenNamesAnExpiredSSOSession(t *testing.T) {
	h := newTokenHarness(t)
	delete(h.env, "AWS_ACCESS_KEY_ID")
	delete(h.env, "AWS_SECRET_ACCESS_KEY")
	h.env["AWS_PROFILE"] = "corp"
	home := h.env["HOME"]
	t.Setenv("HOME", home) // the SDK finds ~/.aws/sso/cache through the process's home
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	const startURL = "https://corp.awsapps.com/start"
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "[profile corp]\nsso_start_url = " + startURL + "\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Admin\n"
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := ssocreds.StandardCachedTokenFilepath(startURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(`{"accessToken":"x","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"`+startURL+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("--cluster-name", "prod", "--no-cache")
	if exitCode(r.err) != 1 || r.err == nil || !strings.Contains(r.err.Error(), `the SSO session of profile "corp" has expired`) ||
		!strings.Contains(r.err.Error(), `"aws sso login --profile corp"`) {
		t.Errorf("error = %v (exit %d)", r.err, exitCode(r.err))
	}
}

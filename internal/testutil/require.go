package testutil

import (
	"fmt"
	"os"
	"testing"
)

// RequiredEnv names the environment variable that, set to "required",
// makes a missing prerequisite fail the tests that need it instead of
// skipping them. CI (.ci/run) sets it, so a test that needs the AWS CLI,
// etcd or kube-apiserver cannot pass there by not running.
const RequiredEnv = "KUBEIAM_E2E"

// Required reports whether missing prerequisites fail tests.
func Required() bool { return os.Getenv(RequiredEnv) == "required" }

// RequireProgram skips t, or fails it under KUBEIAM_E2E=required, unless
// path names an existing file that is not a directory. name says what the
// program is ("the AWS CLI v2"), how how to get it (`run "make tools"`).
func RequireProgram(t testing.TB, name, path, how string) {
	t.Helper()
	if st, err := os.Stat(path); path != "" && err == nil && !st.IsDir() {
		return
	}
	Missing(t, "%s is missing at %q (%s)", name, path, how)
}

// Missing skips t, or fails it under KUBEIAM_E2E=required, saying which
// prerequisite is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s and %s=required", msg, RequiredEnv)
		return
	}
	t.Skipf("%s; set %s=required to fail instead of skipping", msg, RequiredEnv)
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"
)

func runRoot(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Getenv: func(string) string { return "" }, Now: time.Now}
	code := Main(context.Background(), s, args)
	return out.String(), errOut.String(), code
}

func TestVersionTextJSONAndFlag(t *testing.T) {
	text, _, code := runRoot(t, "version")
	if code != 0 || !strings.HasPrefix(text, "kubeiam ") || !strings.Contains(text, runtime.Version()) || !strings.Contains(text, "commit ") {
		t.Errorf("version: exit %d, %q", code, text)
	}
	if flag, _, code := runRoot(t, "--version"); code != 0 || flag != text {
		t.Errorf("--version: exit %d, %q, want %q", code, flag, text)
	}
	out, _, code := runRoot(t, "version", "-o", "json")
	var v struct{ Version, Commit, GoVersion, Platform string }
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.GoVersion != runtime.Version() || v.Version == "" || v.Commit == "" {
		t.Errorf("version -o json: exit %d, %v, %q", code, err, out)
	}
	if _, errOut, code := runRoot(t, "version", "-o", "xml"); code != 2 || !strings.Contains(errOut, "text or json") {
		t.Errorf("version -o xml: exit %d, %q", code, errOut)
	}
}

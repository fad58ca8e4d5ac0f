package explain

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkGolden compares got with testdata/NAME; KUBEIAM_UPDATE_GOLDEN=1
// rewrites the file instead.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("KUBEIAM_UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with KUBEIAM_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestWriteTextGolden(t *testing.T) {
	golden := map[string]string{
		"API: nothing maps the caller; the fix is an access entry with the least policy":    "not-mapped-api.txt",
		"CONFIG_MAP: a rolearn with a path maps in kubeiam, with a warning for EKS":         "role-path.txt",
		"CONFIG_MAP: mapped as a user, but the caller is a role":                            "wrong-kind.txt",
		"API: the aws-auth entry is ignored; the fix is the equivalent access entry":        "aws-auth-ignored.txt",
		"RBAC given: the caller's group has no binding":                                     "group-without-binding.txt",
		"API: an access entry with AmazonEKSViewPolicy in dev allows get pods in dev":       "allowed-by-policy.txt",
		"API: mapped without policies; RBAC decides and the fix is the least access policy": "rbac-decides.txt",
		"CONFIG_MAP: a session named system cannot expand {{SessionNameRaw}}:admin":         "session-name.txt",
	}
	seen := 0
	for _, tt := range explainCases() {
		file, ok := golden[tt.name]
		if !ok {
			continue
		}
		seen++
		t.Run(file, func(t *testing.T) {
			r := run(t, tt.parts(t), tt.arn, tt.req)
			var b bytes.Buffer
			if err := WriteText(&b, r, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "\x1b[") {
				t.Error("colors without TextOptions.Color")
			}
			checkGolden(t, file, b.String())
		})
	}
	if seen != len(golden) {
		t.Errorf("%d golden cases found, want %d: a case was renamed", seen, len(golden))
	}
}

func TestWriteTextColor(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, Explain(Input{ARN: "arn:aws:iam::111122223333:user/x"}), TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ansiRed+"NOT-MAPPED"+ansiReset) {
		t.Errorf("no red verdict:\n%s", b.String())
	}
}

func TestWriteJSONFieldNames(t *testing.T) {
	tt := explainCases()[1]
	var b bytes.Buffer
	if err := WriteJSON(&b, run(t, tt.parts(t), tt.arn, tt.req)); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"arn", "canonicalArn", "verified", "authenticationMode", "sources", "mapped", "request", "verdict", "code", "reason", "fixes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b.String())
		}
	}
	checkGolden(t, "not-mapped-api.json", b.String())
}

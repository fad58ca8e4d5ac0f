package awsauthedit

import (
	"errors"
	"strings"
	"testing"
)

func TestFileKeepsItsForm(t *testing.T) {
	tests := []struct {
		name, in string
		manifest bool
	}{
		{"manifest", `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
  labels: {team: platform}
# who may log in
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/Admin
      username: admin
      groups: [system:masters]
  other: kept # a comment
`, true},
		{"bare", `# bare data map
mapRoles: |
  - rolearn: arn:aws:iam::111122223333:role/Admin
    username: admin
    groups: [system:masters]
other: kept # a comment
`, false},
		{"json", `{"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n", "other": "kept"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFile([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if f.Manifest != tt.manifest {
				t.Errorf("Manifest = %v", f.Manifest)
			}
			r, err := Change(f.Data(), AddUser{ARN: "arn:aws:iam::111122223333:user/bob", Username: "bob"}, Guard{})
			if err != nil {
				t.Fatal(err)
			}
			f.SetData(r.Data)
			out, err := f.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseFile(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if again.Manifest != tt.manifest {
				t.Errorf("form changed:\n%s", out)
			}
			got := again.Data()
			for k, v := range r.Data {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			for _, keep := range []string{"other: kept", "user/bob"} {
				if !strings.Contains(string(out), keep) {
					t.Errorf("output lacks %q:\n%s", keep, out)
				}
			}
			if tt.name != "json" && !strings.Contains(string(out), "# a comment") {
				t.Errorf("comment lost:\n%s", out)
			}
			if tt.manifest && !strings.Contains(string(out), "team: platform") {
				t.Errorf("labels lost:\n%s", out)
			}
		})
	}
}

func TestNewManifestFile(t *testing.T) {
	f := NewManifestFile("kube-system", "aws-auth")
	f.SetData(map[string]string{"mapAccounts": "- \"111122223333\"\n"})
	out, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapAccounts: |
    - "111122223333"
`
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

func TestParseFileRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"empty":        "  \n",
		"list":         "- a\n",
		"other kind":   "apiVersion: v1\nkind: Secret\n",
		"two docs":     "a: b\n---\nc: d\n",
		"non-string":   "mapRoles:\n  - rolearn: x\n",
		"data is list": "apiVersion: v1\nkind: ConfigMap\ndata: [a]\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseFile([]byte(in)); !errors.Is(err, ErrFileFormat) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestManifestBytes(t *testing.T) {
	out, err := ManifestBytes("kube-system", "aws-auth", map[string]string{"a": "b"}, nil, map[string]string{"mapRoles": "- x\n"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(out)
	if err != nil || !f.Manifest || f.Data()["mapRoles"] != "- x\n" || !strings.Contains(string(out), "labels:\n    a: b") {
		t.Errorf("err %v:\n%s", err, out)
	}
}

// Issue 10 item 8: an edit of a file with two mapRoles kept one of them and
// dropped the other without a word.
func TestParseFileRefusesDuplicateKeys(t *testing.T) {
	_, err := ParseFile([]byte("apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: a\n  mapRoles: |\n    - rolearn: b\n"))
	if !errors.Is(err, ErrFileFormat) || !strings.Contains(err.Error(), `line 6: key "mapRoles" given twice (first on line 4)`) {
		t.Fatalf("err = %v", err)
	}
}

// A file that is not UTF-8 (saved as UTF-16 by an editor, or binary) is
// named as such, not as YAML's "EOF" or a bare scalar.
func TestParseFileRefusesNonUTF8(t *testing.T) {
	for name, tt := range map[string]struct {
		in   string
		want string
	}{
		"UTF-16 byte-order mark": {"\xff\xfea\x00:\x00", "not UTF-8 text (an invalid byte at offset 0)"},
		"latin-1 in a value":     {"mapRoles: |\n  - rolearn: r\xe9le\n", "not UTF-8 text (an invalid byte at offset 26)"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFile([]byte(tt.in))
			if !errors.Is(err, ErrFileFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrFileFormat saying %q", err, tt.want)
			}
		})
	}
}

package awsauthsource

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameFileAsYAML fails when quickDecodeFile answers otherwise than the
// YAML library would, and reports whether it answered.
func sameFileAsYAML(t testing.TB, content string) bool {
	t.Helper()
	data, ok := quickDecodeFile([]byte(content))
	if !ok {
		return false
	}
	want, err := yamlDecodeFile([]byte(content))
	if err != nil {
		t.Fatalf("quick decoder accepted what the YAML library refuses (%v):\n%q", err, content)
	}
	if !reflect.DeepEqual(data, want) {
		t.Fatalf("quick decoder: %q\nYAML library:  %q\ninput %q", data, want, content)
	}
	return true
}

// kubectlManifest is aws-auth as "kubectl get -o yaml" prints it, with
// empty lines and a "|-" block.
const kubectlManifest = `apiVersion: v1
data:
  mapAccounts: '[]'
  mapRoles: |
    - groups:
      - system:bootstrappers
      - system:nodes
      rolearn: arn:aws:iam::111122223333:role/node

    - rolearn: arn:aws:iam::111122223333:role/admin
      username: "admin # not a comment"
  mapUsers: |-
    - userarn: arn:aws:iam::111122223333:user/alice
      username: alice
kind: ConfigMap
metadata:
  creationTimestamp: "2026-03-01T12:00:00Z"
  labels:
    app.kubernetes.io/managed-by: eksctl
  name: aws-auth
  namespace: kube-system
  resourceVersion: "1234"
  uid: 0a1b2c3d-0000-4000-8000-000000000000
`

func TestQuickFileTakesCommonForms(t *testing.T) {
	for name, content := range map[string]string{
		"bare data map":     bareFile(rolesAdmin),
		"manifest":          manifestFile(rolesAdmin, usersAlice),
		"kubectl get":       kubectlManifest,
		"bench, two blocks": "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/r\n    username: r:{{SessionName}}\n    groups: [bench]\nmapUsers: |\n  - userarn: arn:aws:iam::111122223333:user/u\n    username: u\n",
		"quoted values":     "mapAccounts: \"111122223333\"\nmapRoles: '[]'\n",
	} {
		t.Run(name, func(t *testing.T) {
			if !sameFileAsYAML(t, content) {
				t.Errorf("the quick decoder gave up on\n%s", content)
			}
		})
	}
}

func TestQuickFileGivesUp(t *testing.T) {
	for _, content := range []string{
		"", "{}\n", " \n", "# aws-auth\nmapRoles: |\n  []\n", "mapRoles: |\n  []", "mapRoles: []\n", "mapRoles: x\n",
		"mapRoles: |+\n  []\n", "mapRoles: >\n  []\n", "mapRoles: |2\n   []\n", "mapRoles: |\n\t[]\n", "mapRoles: |\n  é\n",
		"mapRoles: |\n  a\n b\n", "mapRoles: |\n  a\n   \n", "mapRoles: '[]'\nmapRoles: '[]'\n", "yes: '[]'\n", "mapRoles: \"a\\n\"\n",
		"apiVersion: v1\nkind: Secret\ndata:\n  mapRoles: '[]'\n", "apiVersion: v1\nkind: ConfigMap\nData:\n  mapRoles: '[]'\n",
		"apiVersion: v1\nkind: ConfigMap\ndata: {}\n", "apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles:\n    x: y\n",
		"---\nmapRoles: '[]'\n", "mapRoles: &a '[]'\n", "mapRoles: !!str '[]'\n", "mapRoles: '[]' # c\n",
	} {
		if sameFileAsYAML(t, content) {
			t.Errorf("quick decoder took %q", content)
		}
	}
}

// TestQuickFileMatchesYAML compares the decoders on generated files, on
// every one-byte mutation of them and on the repository's aws-auth files.
func TestQuickFileMatchesYAML(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 10))
	n, quick := 200, 0
	if testing.Short() {
		n = 20
	}
	for range n {
		content := genFile(r)
		if sameFileAsYAML(t, content) {
			quick++
		}
		for range 20 {
			sameFileAsYAML(t, mutateFile(r, content))
		}
	}
	if quick < n*9/10 {
		t.Errorf("only %d of %d generated files took the quick path", quick, n)
	}
	taken, files := 0, repoFiles(t)
	for _, content := range files {
		if sameFileAsYAML(t, content) {
			taken++
		}
	}
	t.Logf("repository files: %d, %d of them through the quick decoder", len(files), taken)
	if taken == 0 {
		t.Error("no repository file took the quick path")
	}
}

// genFile writes a bare data map or a manifest, in the forms the quick
// decoder accepts.
func genFile(r *rand.Rand) string {
	block := func(ind string) string {
		var b strings.Builder
		b.WriteString([]string{" |\n", " |-\n"}[r.IntN(2)])
		inner := ind + strings.Repeat(" ", 1+r.IntN(3))
		for i := range 1 + r.IntN(3) {
			b.WriteString(inner + "- rolearn: arn:aws:iam::111122223333:role/r" + string(rune('a'+i)) + "\n")
			b.WriteString(inner + "  groups: [g] # in a block, not a comment\n")
			if r.IntN(3) == 0 {
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	value := func(ind string) string {
		if r.IntN(4) == 0 {
			return " '[]'\n"
		}
		return block(ind)
	}
	var b strings.Builder
	if r.IntN(2) == 0 {
		for _, k := range []string{"mapRoles", "mapUsers", "other.key"}[:1+r.IntN(3)] {
			b.WriteString(k + ":" + value(""))
		}
		return b.String()
	}
	ind := strings.Repeat(" ", 1+r.IntN(4))
	parts := []string{"apiVersion: v1\n", "kind: ConfigMap\n", "metadata:\n" + ind + "name: aws-auth\n" + ind + "labels:\n" + ind + ind + "a: b\n",
		"data:\n" + ind + "mapRoles:" + value(ind) + ind + "mapAccounts: \"111122223333\"\n"}
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	return strings.Join(parts, "")
}

func mutateFile(r *rand.Rand, s string) string {
	alphabet := " -:\n\t#&*!'\"[]{},~|>%@?0aZ\\\xc3"
	c := string(alphabet[r.IntN(len(alphabet))])
	i := r.IntN(len(s))
	switch r.IntN(3) {
	case 0:
		return s[:i] + c + s[i:]
	case 1:
		return s[:i] + s[i+1:]
	}
	return s[:i] + c + s[i+1:]
}

// repoFiles returns the repository's test data files that hold aws-auth.
func repoFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.Contains(path, "testdata") {
			return nil
		}
		content, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(content), "map") {
			out = append(out, string(content))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzQuickFileMatchesYAML: where the quick decoder answers, it answers as
// the YAML library does.
func FuzzQuickFileMatchesYAML(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		f.Add(genFile(r))
	}
	f.Add(kubectlManifest)
	f.Fuzz(func(t *testing.T, content string) { sameFileAsYAML(t, content) })
}

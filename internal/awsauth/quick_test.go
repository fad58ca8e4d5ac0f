package awsauth

import (
	"fmt"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// sameAsYAML fails when Parse, with the quick parser, and the YAML library
// alone disagree on data in any way: document, problems (lines included)
// or error. It reports whether any list took the quick path.
func sameAsYAML(t testing.TB, data map[string]string) bool {
	t.Helper()
	doc, ps, err := parse(data, true)
	want, wantPs, wantErr := parse(data, false)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("error %v, YAML library %v\ninput %q", err, wantErr, data)
	}
	if !reflect.DeepEqual(doc, want) {
		t.Fatalf("document\n %#v\nYAML library\n %#v\ninput %q", doc, want, data)
	}
	if !reflect.DeepEqual(ps, wantPs) {
		t.Fatalf("problems\n %v\nYAML library\n %v\ninput %q", ps, wantPs, data)
	}
	quick := false
	nop := func(quickEntry) {}
	if v, ok := data[KeyMapRoles]; ok && quickEntries(v, fieldRoleARN, interner{}, nop) {
		quick = true
	}
	if v, ok := data[KeyMapUsers]; ok && quickEntries(v, fieldUserARN, interner{}, nop) {
		quick = true
	}
	if v, ok := data[KeyMapAccounts]; ok {
		if _, _, ok := quickAccounts(v); ok {
			quick = true
		}
	}
	return quick
}

// TestQuickTakesCommonForms checks that the forms tools write take the
// quick path (else the memory it saves is not saved), with the same result.
func TestQuickTakesCommonForms(t *testing.T) {
	for name, data := range map[string]map[string]string{
		"kubectl block groups": {KeyMapRoles: "- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::111122223333:role/node\n  username: system:node:{{EC2PrivateDNSName}}\n"},
		"indented groups":      {KeyMapRoles: "- rolearn: arn:aws:iam::111122223333:role/admin\n  username: admin\n  groups:\n    - system:masters\n    - 'view'\n"},
		"flow groups, quoted":  {KeyMapUsers: "- userarn: \"arn:aws:iam::111122223333:user/alice\"\n  username: 'alice'\n  userid: AIDAEXAMPLE\n  groups: [ dev , \"ops\", 'x y' ]\n"},
		"entries indented":     {KeyMapRoles: "\n    - RoleArn: arn:aws:iam::111122223333:role/a\n      UserName: a\n\n    -   roleARN: arn:aws:iam::111122223333:role/b\n        username: b\n        groups: []\n"},
		"accounts":             {KeyMapAccounts: "- 111122223333\n- \"012345678901\"\n- '444455556666'\n"},
		"bench":                {KeyMapRoles: benchMapRoles(3)},
		"sso, flow and block":  {KeyMapRoles: "- sso: {permissionSetName: Admin, accountID: \"111122223333\"}\n  username: admin\n- sso:\n    permissionSetName: Dev\n    accountID: '111122223333'\n    partition: aws\n  username: dev\n"},
		"invalid entries":      {KeyMapRoles: "- rolearn: arn:aws:iam::111122223333:user/x\n  username: system:admin\n  groups: [system:masters]\n- username: x\n"},
	} {
		t.Run(name, func(t *testing.T) {
			if !sameAsYAML(t, data) {
				t.Errorf("the quick parser gave up on %q", data)
			}
		})
	}
}

// TestQuickGivesUp lists forms outside the quick parser's subset: it must
// leave them to the YAML library (whose result sameAsYAML compares anyway).
func TestQuickGivesUp(t *testing.T) {
	for _, v := range []string{
		"", "[]", "null", "- rolearn: a # comment\n", "- rolearn: &a a\n", "- rolearn: a\n  username: ~\n",
		"- rolearn: a\n  username: null\n", "- rolearn: a\n  rolearn: b\n", "- rolearn: a\n  other: b\n",
		"- sso: {accountID: 012345678901}\n", "- sso:\n    accountID: 012345678901\n", "- sso: ~\n", "- sso: {x: y}\n", "- rolearn: a\n  username: b\n    c\n",
		"- rolearn: \"a\\u0041\"\n", "- rolearn: 'it''s'\n", "- rolearn: a\n  groups: [a, ]\n", "- rolearn: a\n  groups: [{a}]\n",
		"- rolearn: a\n  groups:\n  -\n", "- rolearn: a\n\tusername: b\n", "- rolearn: é\n", "- rolearn: a\r\n", "---\n- rolearn: a\n",
		"- rolearn: a:\n", "-\n  rolearn: a\n", "- rolearn: a\n  groups: x\n", "- rolearn: a\n  username: {{SessionName}}\n",
	} {
		data := map[string]string{KeyMapRoles: v}
		if sameAsYAML(t, data) {
			t.Errorf("quick parser took %q", v)
		}
	}
	if sameAsYAML(t, map[string]string{KeyMapAccounts: "- 012345678901\n"}) {
		t.Error("quick parser took an unquoted account ID with a leading zero")
	}
}

// TestQuickMatchesYAML compares both parsers on generated documents in the
// quick form and on every mutation of one byte of them (most of which leave
// the form), and on every aws-auth value in the repository's test data.
func TestQuickMatchesYAML(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 100_000))
	quick := 0
	n := 80
	if testing.Short() {
		n = 20
	}
	for range n {
		data := map[string]string{KeyMapRoles: genEntries(r, "rolearn"), KeyMapUsers: genEntries(r, "userarn"), KeyMapAccounts: genAccounts(r)}
		if sameAsYAML(t, data) {
			quick++
		}
		for range 12 {
			key := []string{KeyMapRoles, KeyMapUsers, KeyMapAccounts}[r.IntN(3)]
			mutated := maps.Clone(data)
			mutated[key] = mutate(r, data[key])
			sameAsYAML(t, mutated)
		}
	}
	if quick < n*9/10 {
		t.Errorf("only %d of %d generated documents took the quick path", quick, n)
	}
	taken := 0
	corpus := repoAWSAuthData(t)
	for _, data := range corpus {
		if sameAsYAML(t, data) {
			taken++
		}
	}
	t.Logf("repository test inputs: %d, %d of them through the quick parser", len(corpus), taken)
	if taken < 50 {
		t.Errorf("only %d of the repository's %d aws-auth test inputs took the quick path", taken, len(corpus))
	}
}

// genEntries writes 0–4 entries in the quick form, in the variations it
// accepts: field order and case, indentation, quoting, block or flow groups.
func genEntries(r *rand.Rand, arnField string) string {
	var b strings.Builder
	base := strings.Repeat(" ", r.IntN(3))
	for i := range r.IntN(5) {
		fields := []string{arnField, "username", "groups", "userid"}
		if arnField == "rolearn" && r.IntN(3) == 0 {
			fields[0] = "sso"
		}
		r.Shuffle(len(fields), func(a, b int) { fields[a], fields[b] = fields[b], fields[a] })
		fields = fields[:1+r.IntN(len(fields))]
		dash := "-" + strings.Repeat(" ", 1+r.IntN(2))
		col := base + strings.Repeat(" ", len(dash))
		for j, f := range fields {
			if j == 0 {
				b.WriteString(base + dash)
			} else {
				b.WriteString(col)
			}
			if r.IntN(4) == 0 {
				f = strings.ToUpper(f[:1]) + f[1:]
			}
			b.WriteString(f + ":")
			switch {
			case strings.EqualFold(f, "groups"):
				writeGroups(r, &b, col)
			case strings.EqualFold(f, "sso"):
				writeSSO(r, &b, col)
			default:
				b.WriteString(" " + genScalar(r, i, false) + "\n")
			}
			if r.IntN(8) == 0 {
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

// writeSSO writes an sso mapping, block or flow, with some of its fields.
func writeSSO(r *rand.Rand, b *strings.Builder, col string) {
	fields := []string{"permissionSetName: " + []string{"Admin", "'Dev_Team'", "\"x\""}[r.IntN(3)],
		"accountID: " + []string{"111122223333", "\"012345678901\"", "'444455556666'", "012345678901"}[r.IntN(4)],
		"partition: " + []string{"aws", "aws-cn", "'aws-us-gov'"}[r.IntN(3)]}
	r.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	fields = fields[:r.IntN(len(fields)+1)]
	if r.IntN(2) == 0 {
		b.WriteString(" {" + strings.Join(fields, ", ") + "}\n")
		return
	}
	if len(fields) == 0 {
		b.WriteString(" {}\n")
		return
	}
	b.WriteString("\n")
	indent := col + strings.Repeat(" ", 1+r.IntN(3))
	for _, f := range fields {
		b.WriteString(indent + f + "\n")
	}
}

func writeGroups(r *rand.Rand, b *strings.Builder, col string) {
	n := r.IntN(3)
	if r.IntN(2) == 0 {
		items := make([]string, n)
		for k := range items {
			items[k] = genScalar(r, k, true)
		}
		b.WriteString(" [" + strings.Join(items, ", ") + "]\n")
		return
	}
	b.WriteString("\n")
	indent := col + strings.Repeat(" ", 2*r.IntN(2))
	for k := 0; k <= n; k++ {
		b.WriteString(indent + "- " + genScalar(r, k, false) + "\n")
	}
}

func genScalar(r *rand.Rand, i int, flow bool) string {
	plain := []string{"arn:aws:iam::111122223333:role/r" + strconv.Itoa(i), "arn:aws:iam::111122223333:user/u", "system:masters",
		"u:{{SessionName}}", "system:node:{{EC2PrivateDNSName}}", "AROAEXAMPLE", "1", "true", "a=b+c@d.e_f", "x"}
	s := plain[r.IntN(len(plain))]
	if flow && strings.ContainsAny(s, "{}") {
		s = "g" + strconv.Itoa(i)
	}
	switch r.IntN(4) {
	case 0:
		return strconv.Quote(s)
	case 1:
		return "'" + s + " x'"
	}
	return s
}

func genAccounts(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(3) {
		a := fmt.Sprintf("%012d", r.Int64N(1e12))
		if a[0] == '0' || r.IntN(2) == 0 {
			a = "'" + a + "'"
		}
		b.WriteString("- " + a + "\n")
	}
	return b.String()
}

// mutate changes, inserts or deletes one byte, biased to YAML's syntax.
func mutate(r *rand.Rand, s string) string {
	alphabet := " -:\n\t#&*!'\"[]{},~|>%@`?0aZ\\\xc3"
	c := string(alphabet[r.IntN(len(alphabet))])
	i := r.IntN(len(s) + 1)
	switch r.IntN(3) {
	case 0:
		return s[:i] + c + s[i:]
	case 1:
		if i < len(s) {
			return s[:i] + s[i+1:]
		}
	}
	if i < len(s) {
		return s[:i] + c + s[i+1:]
	}
	return s + c
}

// repoAWSAuthData returns the aws-auth values found in the repository's
// tests: the mapRoles, mapUsers and mapAccounts values of its YAML test
// data (ConfigMap manifests, bare data maps, the sections of golden
// outputs), and every string literal of
// its Go tests that looks like an aws-auth list, tried as each of the three.
func repoAWSAuthData(t *testing.T) []map[string]string {
	t.Helper()
	var out []map[string]string
	add := func(content string) {
		var root yaml.Node
		if yaml.Unmarshal([]byte(content), &root) == nil {
			if data := awsAuthValues(&root, 0); len(data) > 0 {
				out = append(out, data)
			}
		}
	}
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") && !strings.Contains(path, "testdata") {
			return nil
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(path, "_test.go") && strings.Contains(string(content), "arn: "):
			for _, lit := range goStringLiterals(t, path, content) {
				if strings.Contains(lit, "- ") {
					out = append(out, map[string]string{KeyMapRoles: lit}, map[string]string{KeyMapUsers: lit}, map[string]string{KeyMapAccounts: lit})
				}
			}
		case strings.Contains(path, "testdata") && strings.Contains(string(content), "map"):
			add(string(content))
			data, files := goldenSections(string(content))
			out = append(out, data...)
			for _, f := range files {
				add(f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// goldenSections splits a golden output at its "## data.KEY" headings,
// whose sections are data values, and its "=== file ===" headings, whose
// sections are whole files.
func goldenSections(content string) (data []map[string]string, files []string) {
	key, file := "", false
	var b strings.Builder
	flush := func() {
		switch {
		case key != "":
			data = append(data, map[string]string{key: b.String()})
		case file:
			files = append(files, b.String())
		}
		key, file = "", false
		b.Reset()
	}
	for line := range strings.Lines(content) {
		switch {
		case strings.HasPrefix(line, "## data."):
			flush()
			key = strings.TrimSpace(strings.TrimPrefix(line, "## data."))
		case strings.HasPrefix(line, "=== "):
			flush()
			file = true
		case strings.HasPrefix(line, "## "):
			flush()
		default:
			b.WriteString(line)
		}
	}
	flush()
	return data, files
}

// goStringLiterals returns the string literals of a Go file.
func goStringLiterals(t *testing.T, path string, content []byte) []string {
	t.Helper()
	f, err := goparser.ParseFile(token.NewFileSet(), path, content, 0)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

// awsAuthValues collects the string values of aws-auth keys anywhere in n.
func awsAuthValues(n *yaml.Node, depth int) map[string]string {
	out := map[string]string{}
	if depth > 8 {
		return out
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch k.Value {
			case KeyMapRoles, KeyMapUsers, KeyMapAccounts:
				if v.Kind == yaml.ScalarNode {
					out[k.Value] = v.Value
				}
			}
		}
	}
	for _, c := range n.Content {
		for k, v := range awsAuthValues(c, depth+1) {
			out[k] = v
		}
	}
	return out
}

// FuzzQuickMatchesYAML: whatever the input, Parse with the quick parser
// gives what the YAML library alone gives.
func FuzzQuickMatchesYAML(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		f.Add(genEntries(r, "rolearn"), genEntries(r, "userarn"), genAccounts(r))
	}
	f.Add(benchMapRoles(2), "- userarn: a\n  groups:\n    - x\n", "- 111122223333\n")
	f.Fuzz(func(t *testing.T, roles, users, accounts string) {
		sameAsYAML(t, map[string]string{KeyMapRoles: roles, KeyMapUsers: users, KeyMapAccounts: accounts})
	})
}

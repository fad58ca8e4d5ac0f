package awsauth

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Parse reads the data of the aws-auth ConfigMap.
//
// The data keys mapRoles, mapUsers and mapAccounts are matched exactly; any
// other key is kept untouched in Document.Other and reported as a warning.
// Each value is a YAML list. Field names inside entries match
// case-insensitively (rolearn, roleARN and RoleArn are one field), as in
// aws-iam-authenticator, which decodes them through encoding/json.
//
// A YAML syntax error or a value of the wrong shape returns a *ParseError
// with the key and the line within that key's value, and no document.
// Otherwise Parse returns the document and its problems; when
// Problems.HasErrors reports true the caller must reject the whole document.
func Parse(data map[string]string) (*Document, Problems, error) { return parse(data, true) }

// parse is Parse; quick false parses every list with the YAML library, the
// reference the quick parser is tested against.
func parse(data map[string]string, quick bool) (*Document, Problems, error) {
	doc := &Document{}
	var ps Problems
	var ln lines
	var err error
	var in interner // nil: no quick parsing
	if quick {
		in = interner{}
	}
	if v, ok := data[KeyMapRoles]; ok {
		if doc.Roles, ln.roles, err = parseRoles(v, &ps, in); err != nil {
			return nil, nil, err
		}
	}
	if v, ok := data[KeyMapUsers]; ok {
		if doc.Users, ln.users, err = parseUsers(v, &ps, in); err != nil {
			return nil, nil, err
		}
	}
	if v, ok := data[KeyMapAccounts]; ok {
		if doc.Accounts, ln.accounts, err = parseAccounts(v, &ps, quick); err != nil {
			return nil, nil, err
		}
	}
	doc.normalize()
	for _, k := range sortedKeys(data) {
		if k == KeyMapRoles || k == KeyMapUsers || k == KeyMapAccounts {
			continue
		}
		if doc.Other == nil {
			doc.Other = map[string]string{}
		}
		doc.Other[k] = data[k]
		ps = append(ps, Problem{Key: k, Index: -1, Severity: Warning, Code: CodeUnknownKey, Message: unknownKeyMessage(k)})
	}
	ps = append(ps, validate(doc, &ln)...)
	return doc, ps, nil
}

// normalize makes empty lists nil, so that a key with an empty list and a
// missing key (which is how Render writes an empty list) parse the same.
func (d *Document) normalize() {
	if len(d.Roles) == 0 {
		d.Roles = nil
	}
	if len(d.Users) == 0 {
		d.Users = nil
	}
	if len(d.Accounts) == 0 {
		d.Accounts = nil
	}
}

func unknownKeyMessage(k string) string {
	for _, known := range []string{KeyMapRoles, KeyMapUsers, KeyMapAccounts} {
		if strings.EqualFold(k, known) {
			return fmt.Sprintf("key %q is ignored; data keys are case-sensitive, did you mean %q?", k, known)
		}
	}
	return fmt.Sprintf("key %q is ignored (kubeiam reads %s, %s and %s); it is kept as is", k, KeyMapRoles, KeyMapUsers, KeyMapAccounts)
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// lines records where entries and their fields are, for problem reports.
// A nil *lines (a document built in code) reports line 0 everywhere.
type lines struct {
	roles, users []entryLines
	accounts     []int
}

// entryLines holds the 1-based lines of an entry and of its fields.
type entryLines struct {
	entry, arn, username, sso int
	groups                    []int
}

func (l *lines) role(i int) entryLines {
	if l == nil || i >= len(l.roles) {
		return entryLines{}
	}
	return l.roles[i]
}

func (l *lines) user(i int) entryLines {
	if l == nil || i >= len(l.users) {
		return entryLines{}
	}
	return l.users[i]
}

func (l *lines) account(i int) int {
	if l == nil || i >= len(l.accounts) {
		return 0
	}
	return l.accounts[i]
}

// or returns line, or the entry's line when the field's is unknown.
func (e entryLines) or(line int) int {
	if line > 0 {
		return line
	}
	return e.entry
}

func (e entryLines) group(i int) int {
	if i < len(e.groups) {
		return e.or(e.groups[i])
	}
	return e.entry
}

// parseList decodes one key's YAML value into the nodes of its list. An
// empty or null value is an empty list.
func parseList(key, value string) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(value))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(key, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &ParseError{Key: key, Line: next.Line, Msg: "more than one YAML document (---); want a single list"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(key, err)
	}
	n := &root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	n = deref(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &ParseError{Key: key, Line: n.Line, Msg: "want a YAML list (lines starting with '- '), got " + describe(n)}
	}
	return n.Content, nil
}

// syntaxError builds the ParseError of a YAML syntax error.
func syntaxError(key string, err error) *ParseError {
	line, problem := errorLine(err)
	return &ParseError{Key: key, Line: line, Msg: "invalid YAML: " + problem, Err: err}
}

// errorLine returns the 1-based line of a YAML syntax error (0 when
// unknown) and the problem without its position.
//
// The YAML library has no typed syntax error, only "yaml: line N: problem"
// messages, and its N is uneven: scanner errors give the 1-based line, parser
// errors the 0-based line of the construct being parsed, and neither gives a
// line when it would be the first. The parser's problems are a short fixed
// list, so they are told apart by text. The only other error decoding into a
// node can return is an unknown alias, which has no position.
func errorLine(err error) (int, string) {
	msg, ok := strings.CutPrefix(err.Error(), "yaml: ")
	if !ok {
		return 0, err.Error()
	}
	if strings.HasPrefix(msg, "unknown anchor") {
		return 0, msg
	}
	n := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if v, convErr := strconv.Atoi(rest[:j]); convErr == nil && strings.HasPrefix(rest[j:], ": ") {
			n, msg = v, rest[j+2:]
		}
	}
	if parserProblem(msg) || n == 0 {
		return n + 1, msg
	}
	return n, msg
}

// parserProblem reports whether msg is one of the YAML parser's (as opposed
// to its scanner's) problems.
func parserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// deref follows an alias to its anchored node. Aliases are resolved one
// level only and the walk over an entry is of fixed depth, so a recursive
// anchor cannot make the parser loop.
func deref(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
		}
		return n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "a document"
}

// field is one key/value pair of an entry, its name lowercased.
type field struct {
	name  string
	key   *yaml.Node
	value *yaml.Node
}

// fields returns the pairs of a mapping entry, refusing non-scalar keys,
// merge keys and a field given twice (field names are case-insensitive, so
// rolearn and roleARN are the same field).
func fields(key, what string, n *yaml.Node) ([]field, error) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return nil, &ParseError{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s: want a mapping, got %s", what, describe(n))}
	}
	out := make([]field, 0, len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, &ParseError{Key: key, Line: k.Line, Msg: fmt.Sprintf("%s: field name is %s, want a string", what, describe(k))}
		}
		if k.ShortTag() == "!!merge" {
			return nil, &ParseError{Key: key, Line: k.Line, Msg: what + ": YAML merge keys (<<) are not supported; write the fields out"}
		}
		name := strings.ToLower(k.Value)
		if first, dup := seen[name]; dup {
			return nil, &ParseError{Key: key, Line: k.Line, Msg: fmt.Sprintf("%s: field %q given twice (first on line %d; field names are case-insensitive)", what, k.Value, first)}
		}
		seen[name] = k.Line
		out = append(out, field{name: name, key: k, value: n.Content[i+1]})
	}
	return out, nil
}

// str returns a scalar field's text; null is the empty string. Unquoted
// numbers and booleans keep their text as written.
func str(key, what string, f field) (string, error) {
	v := deref(f.value)
	if isNull(v) {
		return "", nil
	}
	if v.Kind != yaml.ScalarNode {
		return "", &ParseError{Key: key, Line: v.Line, Msg: fmt.Sprintf("%s: %s must be a string, got %s", what, f.key.Value, describe(v))}
	}
	return v.Value, nil
}

// strList returns a list-of-strings field and the line of each item. An
// empty list is nil, so that parsing a rendered document gives it back.
func strList(key, what string, f field) ([]string, []int, error) {
	v := deref(f.value)
	if isNull(v) {
		return nil, nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, nil, &ParseError{Key: key, Line: v.Line, Msg: fmt.Sprintf("%s: %s must be a list of strings, got %s", what, f.key.Value, describe(v))}
	}
	var out []string
	var lns []int
	for i, item := range v.Content {
		item = deref(item)
		if !isNull(item) && item.Kind != yaml.ScalarNode {
			return nil, nil, &ParseError{Key: key, Line: item.Line, Msg: fmt.Sprintf("%s: %s must be a list of strings, item %d is %s", what, f.key.Value, i, describe(item))}
		}
		s := ""
		if !isNull(item) {
			s = item.Value
		}
		out = append(out, s)
		lns = append(lns, item.Line)
	}
	return out, lns, nil
}

func unknownField(key string, index int, what string, f field) Problem {
	return Problem{Key: key, Index: index, Line: f.key.Line, Severity: Warning, Code: CodeUnknownField,
		Message: fmt.Sprintf("%s: field %q is ignored", what, f.key.Value)}
}

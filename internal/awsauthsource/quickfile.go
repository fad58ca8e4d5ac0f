package awsauthsource

import "strings"

// quickDecodeFile decodes the form aws-auth files are nearly always written
// in, a ConfigMap manifest or a bare data map whose values are literal
// block scalars ("mapRoles: |") or single-line quoted strings, without the
// YAML library. Decoding a 10 MiB file through sigs.k8s.io/yaml converts
// each value to a YAML node, then JSON, then a Go string, three times over
// (duplicate-key check, kind check, decode), which made a large reload's
// peak memory. ok is false for anything outside that form (comments, flow
// collections, anchors, tags, plain data values, which YAML 1.1 may read as
// numbers or booleans, non-ASCII text, tabs, a key given twice, a manifest
// that is not a v1 ConfigMap...), and decodeFile then decodes as before, so
// every error and every unusual form keeps its exact behaviour;
// TestQuickFileMatchesYAML and FuzzQuickFileMatchesYAML check that where
// it answers, it answers as the YAML path does.
func quickDecodeFile(content []byte) (map[string]string, bool) {
	if len(content) == 0 || content[len(content)-1] != '\n' {
		return nil, false
	}
	for _, c := range content {
		if c != '\n' && (c < 0x20 || c > 0x7e) {
			return nil, false
		}
	}
	p := &quickFile{s: string(content)}
	top, ok := p.mapping(0, 0)
	if !ok || p.pos != len(p.s) {
		return nil, false
	}
	_, hasKind := top["kind"]
	_, hasAPIVersion := top["apiVersion"]
	if !hasKind && !hasAPIVersion {
		return top.strings()
	}
	if top["kind"].text != "ConfigMap" || top["apiVersion"].text != "v1" {
		return nil, false // an error; decodeFile words it
	}
	for k := range top {
		// encoding/json matches field names regardless of case: a "Data"
		// key would be decoded as data too.
		for _, f := range []string{"kind", "apiVersion", "data"} {
			if k != f && strings.EqualFold(k, f) {
				return nil, false
			}
		}
	}
	d, has := top["data"]
	if !has {
		return nil, true
	}
	if d.nested == nil {
		return nil, false
	}
	return d.nested.strings()
}

// quickValue is a mapping value: a string (str: a block scalar or a
// quoted string, which YAML reads as a string whatever its text; false for
// a plain scalar), or a nested mapping.
type quickValue struct {
	text   string
	str    bool
	nested quickMap
}

type quickMap map[string]quickValue

// strings returns the mapping as ConfigMap data: every value must be a string.
func (m quickMap) strings() (map[string]string, bool) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if !v.str {
			return nil, false
		}
		out[k] = v.text
	}
	return out, true
}

// quickFile reads a file line by line; pos is the start of the next line.
type quickFile struct {
	s   string
	pos int
}

// line returns the next line without its newline, and its indentation.
func (p *quickFile) line() (text string, indent int, ok bool) {
	if p.pos >= len(p.s) {
		return "", 0, false
	}
	end := p.pos + strings.IndexByte(p.s[p.pos:], '\n')
	text = p.s[p.pos:end]
	return text, len(text) - len(strings.TrimLeft(text, " ")), true
}

// maxQuickDepth bounds nesting: metadata.labels is depth 2.
const maxQuickDepth = 3

// mapping reads a block mapping whose keys are at the indentation of its
// first line, which must exceed parent (0 at the top), until a line less
// indented.
func (p *quickFile) mapping(minIndent, depth int) (quickMap, bool) {
	text, indent, ok := p.line()
	if !ok || indent < minIndent || depth > maxQuickDepth || strings.TrimSpace(text) == "" {
		return nil, false
	}
	col := indent
	m := quickMap{}
	for {
		text, indent, ok := p.line()
		if !ok || indent < col {
			return m, true
		}
		if indent != col {
			return nil, false
		}
		key, rest, ok := quickKey(text[col:])
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		p.pos += len(text) + 1
		var v quickValue
		switch rest = strings.TrimSpace(rest); {
		case rest == "":
			v.nested, ok = p.mapping(col+1, depth+1)
		case rest == "|" || rest == "|-":
			v.text, ok = p.block(col, rest == "|-")
			v.str = true
		default:
			v.text, v.str, ok = quickInline(rest)
		}
		if !ok {
			return nil, false
		}
		m[key] = v
	}
}

// quickKey splits "key: rest" where key is a plain scalar that YAML 1.1 and
// 1.2 both read as that string: a letter, then letters, digits and ._/-,
// and not a YAML 1.1 boolean or null.
func quickKey(text string) (key, rest string, ok bool) {
	i := strings.IndexByte(text, ':')
	if i <= 0 || (i+1 < len(text) && text[i+1] != ' ') {
		return "", "", false
	}
	key = text[:i]
	c := key[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return "", "", false
	}
	for j := 1; j < len(key); j++ {
		c := key[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-') {
			return "", "", false
		}
	}
	switch strings.ToLower(key) {
	case "y", "n", "yes", "no", "true", "false", "on", "off", "null":
		return "", "", false
	}
	return key, text[i+1:], true
}

// quickInline reads a value on the key's line: a quoted string on one line
// without escapes (str), or a plain scalar of letters, digits and -._/:@=+
// that starts with a letter or digit and does not end with ':'.
func quickInline(s string) (text string, str, ok bool) {
	s = strings.TrimLeft(s, " ")
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
		q := s[0]
		body := s[1 : len(s)-1]
		if s[len(s)-1] != q || strings.IndexByte(body, q) >= 0 || (q == '"' && strings.IndexByte(body, '\\') >= 0) {
			return "", false, false
		}
		return body, true, true
	}
	if s == "" || s[len(s)-1] == ':' || !isAlnum(s[0]) {
		return "", false, false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("-._/:@=+", rune(c)) {
			return "", false, false
		}
	}
	return s, false, true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// block reads the content of a literal block scalar whose key is at
// indentation col: its lines indented as its first line (which must be
// more than col and not blank) with that indentation removed, and empty
// lines; a trailing line break is kept ("|") or not ("|-"), trailing empty
// lines never. A line of spaces, or a line indented more than col but
// less than the content, makes it give up.
func (p *quickFile) block(col int, strip bool) (string, bool) {
	text, indent, ok := p.line()
	if !ok || indent <= col || strings.TrimSpace(text) == "" {
		return "", false
	}
	m := indent
	var b strings.Builder
	b.Grow(quickBlockSize(p.s[p.pos:], m))
	pending := 0 // empty lines not yet written: kept only if content follows
	for {
		text, indent, ok := p.line()
		if !ok {
			break
		}
		if text == "" {
			pending++
			p.pos++
			continue
		}
		if indent <= col {
			break
		}
		if indent < m || strings.TrimSpace(text) == "" {
			return "", false
		}
		for ; pending > 0; pending-- {
			b.WriteByte('\n')
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(text[m:])
		p.pos += len(text) + 1
	}
	if !strip {
		b.WriteByte('\n')
	}
	return b.String(), true
}

// quickBlockSize is an upper bound of the size of the block at the start
// of s, so that its builder allocates once.
func quickBlockSize(s string, m int) int {
	n := 0
	for line := range strings.Lines(s) {
		if len(line) > 1 && len(line)-len(strings.TrimLeft(line, " ")) < m {
			break
		}
		n += len(line)
	}
	return n
}

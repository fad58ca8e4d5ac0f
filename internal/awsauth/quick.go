package awsauth

import "strings"

// The quick parser reads the form nearly every aws-auth list is written in
// (kubectl, eksctl, Terraform and "kubeiam aws-auth" all write it) without
// building a YAML node tree, which for 100,000 mappings costs some 500 MB
// of short-lived allocations and doubles the server's peak memory:
//
//	- rolearn: arn:aws:iam::111122223333:role/admin
//	  username: admin:{{SessionName}}
//	  groups:
//	  - system:masters
//	- userarn: "arn:aws:iam::111122223333:user/alice"
//	  groups: [developers, 'viewers']
//
// It accepts only a strict subset of YAML: a block list of block mappings
// whose fields (rolearn or userarn, username, userid, groups, sso) hold
// plain scalars of a safe alphabet, or single-line quoted scalars without
// escapes; groups are a flow list or a block list of such scalars, and sso
// a one-line flow mapping or a block mapping of them. Whatever falls
// outside (comments, anchors, tabs, non-ASCII text, null values, unknown or
// repeated fields, multi-line scalars, an unquoted account ID with a
// leading zero, any syntax error) makes it give up, and
// the YAML library parses the value instead. So the quick parser never
// decides what a value means on its own: on the inputs it accepts it must
// give exactly what the library path gives (lines included), which
// TestQuickMatchesYAML and FuzzQuickMatchesYAML check.

// quickLine is one line of a value: its 1-based number, its indentation,
// and its text after the indentation with trailing spaces removed.
type quickLine struct {
	num, indent int
	text        string
}

// quickLines walks the non-blank lines of a value.
type quickLines struct {
	s    string
	pos  int
	num  int // number of the line at pos
	cur  quickLine
	have bool // cur holds the next non-blank line
	bad  bool // a character the quick parser does not accept
}

// peek returns the next non-blank line, false at the end of the value or
// when a line holds a character outside printable ASCII (tabs included).
func (q *quickLines) peek() (quickLine, bool) {
	if q.have {
		return q.cur, true
	}
	for q.pos < len(q.s) && !q.bad {
		q.num++
		end := strings.IndexByte(q.s[q.pos:], '\n')
		if end < 0 {
			end = len(q.s)
		} else {
			end += q.pos
		}
		raw := q.s[q.pos:end]
		q.pos = end + 1
		for i := 0; i < len(raw); i++ {
			if raw[i] < 0x20 || raw[i] > 0x7e {
				q.bad = true
				return quickLine{}, false
			}
		}
		text := strings.TrimRight(raw, " ")
		if text == "" {
			continue
		}
		trimmed := strings.TrimLeft(text, " ")
		q.cur = quickLine{num: q.num, indent: len(text) - len(trimmed), text: trimmed}
		q.have = true
		return q.cur, true
	}
	return quickLine{}, false
}

// next consumes the line peek returned.
func (q *quickLines) next() { q.have = false }

// interner returns one copy of each distinct string: groups and username
// templates repeat across thousands of entries. Copies, not substrings, so
// that what the index keeps does not pin the whole ConfigMap value. It
// remembers the first maxInterned distinct strings only: the values that
// repeat show up early, and a map of 100,000 distinct usernames would cost
// more, while parsing, than the copies it saves.
type interner map[string]string

const maxInterned = 4096

func (in interner) get(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	v := strings.Clone(s)
	if len(in) < maxInterned {
		in[v] = v
	}
	return v
}

// quickEntry is an entry of mapRoles or mapUsers as the quick parser reads it.
type quickEntry struct {
	arn, username, userID string
	groups                []string
	sso                   *SSOMapping
	ln                    entryLines
}

// Bits of quickEntry fields seen, to give up on a field given twice.
const (
	seenARN = 1 << iota
	seenUsername
	seenUserID
	seenGroups
	seenSSO
)

// quickCount returns how many lines begin a list item ("- ") at the
// indentation of the value's first line: its number of entries when it is
// in the quick form, so that their slices are allocated once (appending
// 100,000 entries allocates five times their size).
func quickCount(value string) int {
	indent := len(value) - len(strings.TrimLeft(value, " \n"))
	if i := strings.LastIndexByte(value[:indent], '\n'); i >= 0 {
		indent -= i + 1
	}
	n := 0
	for line := range strings.Lines(value) {
		if len(line) > indent+1 && line[indent] == '-' && line[indent+1] == ' ' && strings.TrimLeft(line[:indent], " ") == "" {
			n++
		}
	}
	return n
}

// quickEntries reads a block list of mappings whose ARN field is arnField,
// handing each entry to add. It returns false when the value is not in the
// quick form; add may have been called before that, for entries to discard.
func quickEntries(value, arnField string, in interner, add func(quickEntry)) bool {
	q := &quickLines{s: value}
	first, ok := q.peek()
	if !ok {
		return false
	}
	base := first.indent
	for {
		l, ok := q.peek()
		if !ok {
			return !q.bad
		}
		if l.indent != base || !strings.HasPrefix(l.text, "- ") {
			return false
		}
		q.next()
		rest := strings.TrimLeft(l.text[1:], " ")
		e := quickEntry{ln: entryLines{entry: l.num}}
		col := base + len(l.text) - len(rest)
		if !quickEntryFields(q, &e, quickLine{num: l.num, indent: col, text: rest}, base, arnField, in) {
			return false
		}
		add(e)
	}
}

// quickEntryFields reads the fields of one entry, the first of which is
// on line l, the others on the lines that follow at l's indentation.
func quickEntryFields(q *quickLines, e *quickEntry, l quickLine, base int, arnField string, in interner) bool {
	col := l.indent
	seen := 0
	for {
		name, value, ok := quickField(l.text)
		if !ok {
			return false
		}
		var bit int
		switch strings.ToLower(name) {
		case arnField:
			bit = seenARN
			e.arn, ok = quickScalar(value, false)
			e.arn = strings.Clone(e.arn)
			e.ln.arn = l.num
		case fieldUsername:
			bit = seenUsername
			e.username, ok = quickScalar(value, false)
			e.username = in.get(e.username)
			e.ln.username = l.num
		case fieldUserID:
			bit = seenUserID
			e.userID, ok = quickScalar(value, false)
			e.userID = in.get(e.userID)
		case fieldGroups:
			bit = seenGroups
			if value == "" {
				e.groups, e.ln.groups, ok = quickBlockList(q, col, in)
			} else {
				e.groups, ok = quickFlowList(value, in)
				e.ln.groups = sameLine(l.num, len(e.groups))
			}
		case fieldSSO:
			if arnField != fieldRoleARN {
				return false
			}
			bit = seenSSO
			if value == "" {
				e.sso, ok = quickBlockSSO(q, col, in)
			} else {
				e.sso, ok = quickFlowSSO(value, in)
			}
			e.ln.sso = l.num
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		next, more := q.peek()
		if !more {
			return !q.bad
		}
		if next.indent == base && strings.HasPrefix(next.text, "- ") {
			return true
		}
		if next.indent != col || next.text[0] == '-' {
			return false
		}
		q.next()
		l = next
	}
}

// quickBlockSSO reads the fields of an sso mapping written on the lines
// after "sso:", indented more than the field (col).
func quickBlockSSO(q *quickLines, col int, in interner) (*SSOMapping, bool) {
	first, ok := q.peek()
	if !ok || first.indent <= col {
		return nil, false
	}
	s := &SSOMapping{}
	seen := 0
	for {
		l, ok := q.peek()
		if !ok || l.indent < first.indent {
			return s, !q.bad
		}
		if l.indent != first.indent {
			return nil, false
		}
		name, value, ok := quickField(l.text)
		if !ok || !quickSSOField(s, &seen, name, value, false, in) {
			return nil, false
		}
		q.next()
	}
}

// quickFlowSSO reads an sso mapping written "{name: value, ...}" on one line.
func quickFlowSSO(v string, in interner) (*SSOMapping, bool) {
	if len(v) < 2 || v[0] != '{' || v[len(v)-1] != '}' {
		return nil, false
	}
	s := &SSOMapping{}
	body := strings.TrimSpace(v[1 : len(v)-1])
	if body == "" {
		return s, true
	}
	seen := 0
	for item := range strings.SplitSeq(body, ",") {
		name, value, ok := quickField(strings.TrimSpace(item))
		if !ok || strings.ContainsAny(value, "[]{}") || !quickSSOField(s, &seen, name, value, true, in) {
			return nil, false
		}
	}
	return s, true
}

// quickSSOField sets one field of an sso mapping. An unquoted account ID
// with a leading zero, whose meaning depends on the YAML library's tag, is
// left to the library, as in quickAccounts.
func quickSSOField(s *SSOMapping, seen *int, name, value string, flow bool, in interner) bool {
	v, ok := quickScalar(value, flow)
	if !ok {
		return false
	}
	var bit int
	switch strings.ToLower(name) {
	case fieldPermissionSetName:
		bit, s.PermissionSetName = 1, in.get(v)
	case fieldAccountID:
		if value[0] == '0' && len(value) > 1 {
			return false
		}
		bit, s.AccountID = 2, in.get(v)
	case fieldPartition:
		bit, s.Partition = 4, in.get(v)
	default:
		return false
	}
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// quickField splits "name: value" (value may be empty) where name is letters.
func quickField(text string) (name, value string, ok bool) {
	i := 0
	for i < len(text) && (text[i] >= 'a' && text[i] <= 'z' || text[i] >= 'A' && text[i] <= 'Z') {
		i++
	}
	if i == 0 || i == len(text) || text[i] != ':' {
		return "", "", false
	}
	rest := text[i+1:]
	if rest == "" {
		return text[:i], "", true
	}
	if rest[0] != ' ' {
		return "", "", false
	}
	return text[:i], strings.TrimLeft(rest, " "), true
}

// quickScalar returns the text of a whole-line scalar: plain, or quoted on
// one line without escapes. In a flow list, flow indicators end plain
// scalars, so braces are refused there.
func quickScalar(s string, flow bool) (string, bool) {
	if s == "" {
		return "", false
	}
	switch s[0] {
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' || strings.ContainsAny(s[1:len(s)-1], `"\`) {
			return "", false
		}
		return s[1 : len(s)-1], true
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' || strings.ContainsRune(s[1:len(s)-1], '\'') {
			return "", false
		}
		return s[1 : len(s)-1], true
	}
	if !quickPlain(s, flow) {
		return "", false
	}
	return s, true
}

// quickPlain reports whether s is a plain scalar the quick parser accepts:
// it starts with a letter or digit, holds no space and no character with a
// meaning in YAML (comments, anchors, tags, flow indicators in a flow
// list), does not end with ':' (a mapping key) and is not a null.
func quickPlain(s string, flow bool) bool {
	if !isAlnum(s[0]) || s[len(s)-1] == ':' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '@' || c == '=' || c == '+':
		case (c == '{' || c == '}') && !flow:
		default:
			return false
		}
	}
	switch s {
	case "null", "Null", "NULL":
		return false
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quickFlowList reads "[a, 'b', "c"]" on one line. An empty list is nil, as
// strList makes it.
func quickFlowList(s string, in interner) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	body := strings.TrimSpace(s[1 : len(s)-1])
	if body == "" {
		return nil, true
	}
	var out []string
	for item := range strings.SplitSeq(body, ",") {
		v, ok := quickScalar(strings.TrimSpace(item), true)
		if !ok || strings.ContainsAny(item, "[]") {
			return nil, false
		}
		out = append(out, in.get(v))
	}
	return out, true
}

// quickBlockList reads the "- item" lines of a field written "groups:",
// indented at least as much as the field (col).
func quickBlockList(q *quickLines, col int, in interner) ([]string, []int, bool) {
	first, ok := q.peek()
	if !ok || first.indent < col || !strings.HasPrefix(first.text, "- ") {
		return nil, nil, false
	}
	var out []string
	var lns []int
	for {
		l, ok := q.peek()
		if !ok || l.indent != first.indent || !strings.HasPrefix(l.text, "- ") {
			return out, lns, !q.bad
		}
		v, ok := quickScalar(strings.TrimLeft(l.text[2:], " "), false)
		if !ok {
			return nil, nil, false
		}
		q.next()
		out = append(out, in.get(v))
		lns = append(lns, l.num)
	}
}

func sameLine(num, n int) []int {
	if n == 0 {
		return nil
	}
	lns := make([]int, n)
	for i := range lns {
		lns[i] = num
	}
	return lns
}

// quickAccounts reads a block list of account IDs. It gives up on an
// unquoted ID with a leading zero, which needs the YAML library's tag.
func quickAccounts(value string) ([]string, []int, bool) {
	q := &quickLines{s: value}
	first, ok := q.peek()
	if !ok {
		return nil, nil, false
	}
	var out []string
	var lns []int
	for {
		l, ok := q.peek()
		if !ok {
			return out, lns, !q.bad
		}
		if l.indent != first.indent || !strings.HasPrefix(l.text, "- ") {
			return nil, nil, false
		}
		raw := strings.TrimLeft(l.text[2:], " ")
		v, ok := quickScalar(raw, false)
		if !ok || raw[0] == '0' && len(raw) > 1 {
			return nil, nil, false
		}
		q.next()
		out = append(out, strings.Clone(v))
		lns = append(lns, l.num)
	}
}

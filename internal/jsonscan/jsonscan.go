// Package jsonscan reads small JSON documents of a known shape in one pass,
// for the hot paths where encoding/json (which validates the whole input,
// then decodes it by reflection) dominated the profile.
//
// A Scanner is exact or gives up: it reads objects whose keys are plain
// ASCII strings, strings without escapes in valid UTF-8, and arrays of such
// strings, and it skips (after checking their syntax) the members the
// caller does not want. For anything whose meaning in encoding/json is
// subtle (an escape, a duplicate key, a key that matches a field only
// ignoring case, a null, a value of another type, invalid UTF-8, deep
// nesting, any syntax error) a method returns false, and the caller
// decodes the same input with encoding/json, so that the result never
// depends on which path ran. Each caller holds the two to the same result
// with a differential fuzz test.
package jsonscan

import (
	"bytes"
	"unicode/utf8"
)

// maxSkipDepth bounds the nesting of values the scanner skips; deeper ones
// are left to encoding/json.
const maxSkipDepth = 16

// Scanner is one pass over a document; a method that returns false leaves
// it at an unspecified position, and the caller gives up.
type Scanner struct {
	data []byte
	pos  int
}

// New returns a scanner at the start of data, which it does not copy.
func New(data []byte) *Scanner { return &Scanner{data: data} }

// Pos is the offset the scanner has reached (for diagnostics).
func (s *Scanner) Pos() int { return s.pos }

// End reports whether only white space is left.
func (s *Scanner) End() bool {
	s.space()
	return s.pos == len(s.data)
}

// Once marks a key seen, and refuses a duplicate: encoding/json's handling
// of one (the last wins, but a repeated object merges) is left to it.
func Once(seen *bool) bool {
	if *seen {
		return false
	}
	*seen = true
	return true
}

// Unknown skips the value of a member the struct has no field for, unless
// its key matches a field case-insensitively (encoding/json would fill the
// field from it); names are the level's field names, lower-cased.
func (s *Scanner) Unknown(key []byte, names ...string) bool {
	for _, n := range names {
		if len(key) == len(n) && equalFoldASCII(key, n) {
			return false
		}
	}
	return s.skip(0)
}

// equalFoldASCII reports whether key equals the lower-case ASCII name
// ignoring ASCII case. A key with other bytes gives up elsewhere: keys are
// plain strings, and encoding/json also folds a few non-ASCII letters (the
// Kelvin sign K, the long s) onto ASCII ones, so any non-ASCII key is left
// to it (see Object).
func equalFoldASCII(key []byte, name string) bool {
	for i := range key {
		c := key[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

func (s *Scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// consume skips white space and then c, reporting whether it was there.
func (s *Scanner) consume(c byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// peek skips white space and returns the next byte, or 0 at the end.
func (s *Scanner) peek() byte {
	s.space()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// Object reads an object, calling member with each key (a plain ASCII
// string, not to be retained) with the position on its value; member reads
// the value (String, Strings, Object, Unknown) and reports whether it could.
func (s *Scanner) Object(member func(key []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		key, ascii, ok := s.rawASCII()
		if !ok || !ascii || !s.consume(':') {
			return false
		}
		s.space()
		if !member(key) {
			return false
		}
		if s.consume('}') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// raw reads a string without escapes, in valid UTF-8, and returns its
// bytes (not copied): nil, false for one with an escape, a control
// character or invalid UTF-8 (left to encoding/json), or not a string at
// all.
func (s *Scanner) raw() ([]byte, bool) {
	b, ascii, ok := s.rawASCII()
	if !ok || (!ascii && !utf8.Valid(b)) {
		return nil, false
	}
	return b, true
}

// rawASCII is raw without the UTF-8 check, and reports whether the string
// is ASCII (then valid UTF-8). One pass: a token is 2 KB of it.
func (s *Scanner) rawASCII() (b []byte, ascii, ok bool) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false, false
	}
	start := s.pos + 1
	end := bytes.IndexByte(s.data[start:], '"')
	if end < 0 {
		return nil, false, false
	}
	b = s.data[start : start+end]
	var high byte
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return nil, false, false
		}
		high |= c
	}
	s.pos = start + end + 1
	return b, high < utf8.RuneSelf, true
}

// String reads a string value into dst: valid UTF-8, no escapes.
func (s *Scanner) String(dst *string) bool {
	b, ok := s.raw()
	if !ok {
		return false
	}
	*dst = string(b)
	return true
}

// Strings reads an array of strings; an empty array is an empty, non-nil
// slice, as encoding/json makes it.
func (s *Scanner) Strings(dst *[]string) bool {
	if !s.consume('[') {
		return false
	}
	out := []string{}
	if s.consume(']') {
		*dst = out
		return true
	}
	for {
		s.space()
		var v string
		if !s.String(&v) {
			return false
		}
		out = append(out, v)
		if s.consume(']') {
			*dst = out
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// skip passes over one JSON value, checking its syntax as encoding/json
// would (strings with escapes are checked, not decoded).
func (s *Scanner) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	switch s.peek() {
	case '{':
		s.pos++
		if s.consume('}') {
			return true
		}
		for {
			if s.peek() != '"' || !s.skipString() || !s.consume(':') || !s.skip(depth+1) {
				return false
			}
			if s.consume('}') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	case '[':
		s.pos++
		if s.consume(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.consume(']') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	case '"':
		return s.skipString()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	return s.number()
}

// skipString passes over a string, escapes included; any byte from 0x20 up
// is accepted, as encoding/json accepts (and replaces) invalid UTF-8.
func (s *Scanner) skipString() bool {
	for i := s.pos + 1; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(s.data) {
				return false
			}
			switch s.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s.data) {
					return false
				}
				for _, h := range s.data[i+1 : i+5] {
					if !isHex(h) {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

func (s *Scanner) literal(word string) bool {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return false
	}
	s.pos += len(word)
	return true
}

// number passes over a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *Scanner) number() bool {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		i = digits(d, i)
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return false
		}
		i = j
	}
	s.pos = i
	return true
}

func digits(d []byte, i int) int {
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

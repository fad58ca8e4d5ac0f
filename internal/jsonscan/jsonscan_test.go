package jsonscan

import (
	"encoding/json"
	"reflect"
	"testing"
)

// values are JSON values to skip, valid and not.
var values = []string{
	`1`, `-0`, `0.5e+10`, `1E-3`, `true`, `false`, `null`, `""`, `"a\"\\\/\b\f\n\r\t\u00e9"`, "\"\xff\"",
	`[]`, `{}`, `[1,[2,{"a":[]}]]`, `{"a":{"b":null},"c":"d"}`,
	`01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`, `"\x"`, `"\u12"`, "\"a\tb\"", `"unterminated`,
	`[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[`, `{`, ``,
}

// FuzzSkip: whatever the scanner skips as a member's value, encoding/json
// accepts as valid JSON (a value the scanner refuses is left to
// encoding/json, so refusing too much is allowed; accepting too much is
// not).
func FuzzSkip(f *testing.F) {
	for _, v := range values {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		doc := `{"x":` + v + `}`
		s := New([]byte(doc))
		if s.Object(func(key []byte) bool { return s.Unknown(key, "y") }) && s.End() && !json.Valid([]byte(doc)) {
			t.Fatalf("scanner accepted %q, which is not valid JSON", doc)
		}
	})
}

func TestSkip(t *testing.T) {
	for _, v := range values {
		doc := `{"x":` + v + `}`
		s := New([]byte(doc))
		got := s.Object(func(key []byte) bool { return s.Unknown(key, "y") }) && s.End()
		if valid := json.Valid([]byte(doc)); got != valid {
			t.Errorf("%s: scanned %v, json.Valid %v", doc, got, valid)
		}
	}
}

// TestReadsWhatEncodingJSONReads: a document with every method's happy path
// reads to what encoding/json decodes, and each subtle case gives up.
func TestReadsWhatEncodingJSONReads(t *testing.T) {
	type doc struct {
		Name string   `json:"name"`
		List []string `json:"list"`
	}
	read := func(in string) (doc, bool) {
		var d doc
		s := New([]byte(in))
		var seenName, seenList bool
		ok := s.Object(func(key []byte) bool {
			switch string(key) {
			case "name":
				return Once(&seenName) && s.String(&d.Name)
			case "list":
				return Once(&seenList) && s.Strings(&d.List)
			}
			return s.Unknown(key, "name", "list")
		}) && s.End()
		return d, ok
	}
	for _, in := range []string{` {"name":"é","skip":[1,{"a":"\n"}],"list":["a", "b"]} `, `{"list":[]}`, `{}`} {
		got, ok := read(in)
		var want doc
		if err := json.Unmarshal([]byte(in), &want); err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %#v (ok %v), encoding/json %#v (%v)", in, got, ok, want, err)
		}
	}
	for _, in := range []string{`{"name":"a\nb"}`, `{"name":"a","name":"b"}`, `{"NAME":"a"}`, `{"name":null}`,
		`{"list":null}`, `{"list":["a",1]}`, `{"name":1}`, "{\"name\":\"\xff\"}", "{\"n\u00e4me\":1}", `{"name":"a"} x`} {
		if _, ok := read(in); ok {
			t.Errorf("%s: read by the scanner; it must give up", in)
		}
	}
}

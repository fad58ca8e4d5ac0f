package sts

import (
	"net/http"
	"testing"
	"unicode/utf8"
)

// FuzzParseAnswer feeds arbitrary bodies to both answer parsers.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{jsonAnswer, xmlAnswer,
		`<ErrorResponse><Error><Code>Throttling</Code><Message>m</Message></Error></ErrorResponse>`,
		`{"Error":{"Code":"A","Message":"b"}}`, `{"__type":"x#Y:z","message":"m"}`, "", "{", "<"} {
		f.Add([]byte(s), "Code;Sender")
	}
	f.Fuzz(func(t *testing.T, body []byte, queryError string) {
		_, _ = parseIdentity(body)
		h := http.Header{}
		h.Set("X-Amzn-Query-Error", queryError)
		flt := parseFault(body, h)
		for _, s := range []string{flt.Code, flt.Message, flt.RequestID} {
			if utf8.RuneCountInString(s) > 256+3 {
				t.Fatalf("field longer than its limit: %d runes", utf8.RuneCountInString(s))
			}
			for _, r := range s {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("control character %q kept in %q", r, s)
				}
			}
		}
		_ = classOf(400, flt.Code)
	})
}

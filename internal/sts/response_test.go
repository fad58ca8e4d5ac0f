package sts

import (
	"encoding/json"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/kubeiam/kubeiam/internal/jsonscan"
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

// identityBodies are JSON answers: STS's, and shapes the scanner leaves to
// encoding/json (escapes, case-folded or duplicate keys, nulls, other
// types, syntax errors). Seeds of FuzzParseIdentityJSON.
var identityBodies = []string{
	jsonAnswer,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"UserId":"u","Arn":"a"}}}`,
	`{"GetCallerIdentityResponse":{"ResponseMetadata":{"RequestId":"r"},"GetCallerIdentityResult":{"Arn":"a","Account":"1","Extra":[1,{"x":null}]}}}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"arn":"a"}}}`,
	`{"getcalleridentityresponse":{"GetCallerIdentityResult":{"Arn":"a"}}}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":"a","Arn":"b"}}}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":"a\u0062"}}}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":null}}}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":5}}}`,
	`{"GetCallerIdentityResponse":null}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":"a"}}} {}`,
	`{"GetCallerIdentityResponse":{"GetCallerIdentityResult":{"Arn":"a",}}}`,
	"{\"GetCallerIdentityResponse\":{\"GetCallerIdentityResult\":{\"Arn\":\"\xff\"}}}",
	`{`, `{}`,
}

// FuzzParseIdentityJSON holds the JSON answer's parser to encoding/json:
// the same identity, and an error exactly when encoding/json errs.
func FuzzParseIdentityJSON(f *testing.F) {
	for _, b := range identityBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkParseIdentityJSON(t, body)
	})
}

func TestParseIdentityJSONIsEncodingJSON(t *testing.T) {
	for _, b := range identityBodies {
		checkParseIdentityJSON(t, []byte(b))
	}
	// STS's own answer is read by the scanner, not left to encoding/json.
	var j identityJSON
	if !scanIdentity(jsonscan.New([]byte(jsonAnswer)), &j) || j.GetCallerIdentityResponse.GetCallerIdentityResult.Arn != callerARN {
		t.Errorf("scanner gave up on STS's answer, or misread it: %+v", j)
	}
}

func checkParseIdentityJSON(t *testing.T, body []byte) {
	t.Helper()
	var want identityJSON
	wantErr := json.Unmarshal(body, &want)
	got, gotErr := parseIdentityJSON(body)
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Fatalf("body %q: error %v, encoding/json: %v", body, gotErr, wantErr)
	}
	r := want.GetCallerIdentityResponse.GetCallerIdentityResult
	if w := (callerIdentity{Account: r.Account, Arn: r.Arn, UserID: r.UserID}); got != w {
		t.Fatalf("body %q: %+v, encoding/json: %+v", body, got, w)
	}
}

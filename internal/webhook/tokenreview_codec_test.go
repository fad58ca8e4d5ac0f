package webhook

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authnv1beta1 "k8s.io/api/authentication/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/authn"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/jsonscan"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

// TestAPIVersionConstants: the constants are the API types' group versions.
func TestAPIVersionConstants(t *testing.T) {
	if apiVersionV1 != authnv1.SchemeGroupVersion.String() || apiVersionV1beta1 != authnv1beta1.SchemeGroupVersion.String() {
		t.Fatalf("constants %q %q, want %s %s", apiVersionV1, apiVersionV1beta1, authnv1.SchemeGroupVersion, authnv1beta1.SchemeGroupVersion)
	}
}

// tokenReviewBodies are request bodies: what kube-apiserver sends, and the
// shapes the scanner must hand to encoding/json (escapes, duplicates,
// cases, nulls, wrong types, syntax errors). Each is a seed of
// FuzzDecodeTokenReview.
var tokenReviewBodies = []string{
	// kube-apiserver's request (k8s.io/apiserver webhook client: a
	// TokenReview with metadata and an empty status).
	`{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"token":"k8s-aws-v1.aHR0cHM6Ly9zdHM","audiences":["https://kubernetes.default.svc"]},"status":{"user":{}}}`,
	`{"apiVersion":"authentication.k8s.io/v1beta1","kind":"TokenReview","spec":{"token":"t"}}`,
	" \t\r\n{ \"kind\" : \"TokenReview\" , \"spec\" : { \"audiences\" : [ ] , \"token\" : \"t\" } } \n",
	`{"kind":"TokenReview","spec":{"audiences":["a","b","a"]},"extra":[1,-2.5e+3,0.1E-2,true,false,null,{"x":{"y":[[]]}},"\u00e9\n\"\\\/"]}`,
	`{"kind":"Tok\u0065nReview"}`,
	`{"kind":"TokenReview","kind":"Other"}`,
	`{"spec":{"token":"a"},"spec":{"audiences":["x"]}}`,
	`{"Kind":"TokenReview"}`,
	`{"KIND":"x","kind":"y"}`,
	`{"spec":{"Token":"t"}}`,
	`{"apiversion":"authentication.k8s.io/v1"}`,
	"{\"\u212aind\":\"TokenReview\"}", // the Kelvin sign folds onto k in encoding/json
	`{"kind":null,"spec":null}`,
	`{"spec":{"audiences":null}}`,
	`{"kind":5}`,
	`{"spec":{"audiences":["a",1]}}`,
	`{"spec":[]}`,
	`null`,
	`[]`,
	``,
	`{`,
	`{"kind":"TokenReview"} x`,
	`{"kind":"TokenReview"}{}`,
	`{"kind":"TokenReview",}`,
	`{"x":01}`,
	`{"x":1.}`,
	`{"x":-}`,
	`{"x":.5}`,
	`{"x":1e}`,
	`{"x":tru}`,
	`{"x":"\x"}`,
	`{"x":"\u12"}`,
	"{\"x\":\"a\tb\"}",
	"{\"kind\":\"a\x01b\"}",
	"{\"kind\":\"\xff\xfe\"}",
	"{\"kind\":\"\u00e9t\u00e9\"}",
	"{\"spec\":{\"token\":\"\xed\xa0\x80\"}}",
	`{"x":[1,]}`,
	`{"x":{"a" 1}}`,
	`{"x":{"a":1,}}`,
	`{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
}

// FuzzDecodeTokenReview holds decodeTokenReview to json.Unmarshal: the same
// value (nil and empty slices told apart) and an error exactly when
// json.Unmarshal errs, with the same text.
func FuzzDecodeTokenReview(f *testing.F) {
	for _, b := range tokenReviewBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecodeTokenReview(t, body)
	})
}

func checkDecodeTokenReview(t *testing.T, body []byte) {
	t.Helper()
	var want, got tokenReview
	wantErr := json.Unmarshal(body, &want)
	gotErr := decodeTokenReview(body, &got)
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Fatalf("body %q: error %v, encoding/json: %v", body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q: decoded %#v, encoding/json: %#v", body, got, want)
	}
}

func TestDecodeTokenReviewIsEncodingJSON(t *testing.T) {
	for _, b := range tokenReviewBodies {
		checkDecodeTokenReview(t, []byte(b))
	}
	// A large body goes to encoding/json whole.
	big := `{"kind":"TokenReview","spec":{"token":"` + strings.Repeat("a", maxFastBody) + `"}}`
	checkDecodeTokenReview(t, []byte(big))
}

// TestScanTokenReviewTakesTheCommonShape: the bodies kube-apiserver and
// clients send are read by the scanner itself, not handed to encoding/json
// (which would be correct, but slow): the test that the fast path is the
// one taken.
func TestScanTokenReviewTakesTheCommonShape(t *testing.T) {
	for _, b := range append(tokenReviewBodies[:4:4], mustMarshal(t, authnv1.TokenReview{
		TypeMeta: metav1.TypeMeta{APIVersion: apiVersionV1, Kind: "TokenReview"},
		Spec:     authnv1.TokenReviewSpec{Token: "k8s-aws-v1.abc", Audiences: []string{"https://kubernetes.default.svc"}},
	})) {
		var in tokenReview
		s := jsonscan.New([]byte(b))
		if !scanTokenReview(s, &in) {
			t.Errorf("scanner gave up on %s (at byte %d)", b, s.Pos())
		}
	}
	for _, b := range []string{`{"kind":"Tok\u0065nReview"}`, `{"kind":"a","kind":"b"}`, `{"Kind":"a"}`, `{"kind":null}`} {
		var in tokenReview
		if scanTokenReview(jsonscan.New([]byte(b)), &in) {
			t.Errorf("scanner read %s itself; it must leave it to encoding/json", b)
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hostileStrings need escaping in JSON, or in JSON served to browsers, or
// are not valid UTF-8.
var hostileStrings = []string{
	"", "plain", `quote " and backslash \`, "</script><script>alert(1)</script>", "a&b",
	"tab\tnewline\ncr\rbackspace\bformfeed\f", "nul\x00unit\x1fdel\x7f", "line\u2028para\u2029sep",
	"invalid \xff\xfe utf-8", "truncated \xe2\x82", "surrogate \xed\xa0\x80", "émoji 🙂 ✓",
	"system:masters", "arn:aws:iam::111122223333:role/admin",
}

// TestAppendTokenReviewIsEncodingJSON: the hand-written answer is, byte for
// byte, what encoding/json writes for the API type of either version, for
// granted, denied and refused answers with hostile strings everywhere.
func TestAppendTokenReviewIsEncodingJSON(t *testing.T) {
	var statuses []authnv1.TokenReviewStatus
	for _, s := range hostileStrings {
		statuses = append(statuses,
			authnv1.TokenReviewStatus{Error: s},
			authnv1.TokenReviewStatus{Authenticated: true, Audiences: []string{s, "api"}, User: authnv1.UserInfo{
				Username: s, UID: "kubeiam:" + s, Groups: []string{s, "system:authenticated", ""},
				Extra: map[string]authnv1.ExtraValue{s: {s}, "arn": {"a"}, "empty": {}, "nil": nil, "two": {"x", s}},
			}})
	}
	statuses = append(statuses,
		authnv1.TokenReviewStatus{},
		authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Groups: []string{}, Extra: map[string]authnv1.ExtraValue{}}},
		authnv1.TokenReviewStatus{Authenticated: true, Audiences: []string{}},
	)
	for _, st := range statuses {
		for _, v := range []string{apiVersionV1, apiVersionV1beta1} {
			checkAppendTokenReview(t, v, st)
		}
	}
}

// FuzzAppendTokenReview: any strings, the same bytes as encoding/json.
func FuzzAppendTokenReview(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(true, s, s, s, s, s, s)
	}
	f.Fuzz(func(t *testing.T, ok bool, user, uid, group, key, value, errText string) {
		st := authnv1.TokenReviewStatus{Authenticated: ok, Error: errText, Audiences: []string{value}, User: authnv1.UserInfo{
			Username: user, UID: uid, Groups: []string{group, key},
			Extra: map[string]authnv1.ExtraValue{key: {value}, value: {key, group}, "arn": {uid}},
		}}
		checkAppendTokenReview(t, apiVersionV1, st)
		checkAppendTokenReview(t, apiVersionV1beta1, st)
	})
}

func checkAppendTokenReview(t *testing.T, apiVersion string, st authnv1.TokenReviewStatus) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(referenceTokenReview(apiVersion, st)); err != nil {
		t.Fatal(err)
	}
	got := appendTokenReview([]byte("prefix"), apiVersion, toReviewStatus(st))
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want.Bytes()) {
		t.Fatalf("%s %#v:\n got %s\nwant %s", apiVersion, st, got, want.Bytes())
	}
	// And it decodes, strictly, to what the API type decodes to.
	var fromGot, fromWant authnv1.TokenReview
	decodeStrict(t, got[len("prefix"):], &fromGot)
	decodeStrict(t, want.Bytes(), &fromWant)
	if !reflect.DeepEqual(fromGot, fromWant) {
		t.Fatalf("decoded %#v, want %#v", fromGot, fromWant)
	}
}

func decodeStrict(t *testing.T, raw []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}

// toReviewStatus is st as the handler holds it: the extras sorted by key.
func toReviewStatus(st authnv1.TokenReviewStatus) *reviewStatus {
	out := &reviewStatus{Authenticated: st.Authenticated, Username: st.User.Username, UID: st.User.UID,
		Groups: st.User.Groups, Audiences: st.Audiences, Error: st.Error}
	for k, v := range st.User.Extra {
		out.Extra = append(out.Extra, extra{Key: k, Values: v})
	}
	slices.SortFunc(out.Extra, func(a, b extra) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// TestUserInfoExtrasAreSorted: the extras the handler builds are in key
// order with distinct keys, as appendTokenReview requires to write what
// encoding/json writes for a map; with a Binder and without.
func TestUserInfoExtrasAreSorted(t *testing.T) {
	binder, err := NewBinder(bytes.Repeat([]byte("k"), 32), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := authn.Outcome{Authenticated: true, UID: "kubeiam:1:2", Identity: &identity.Identity{ARN: "arn:aws:iam::111122223333:user/a",
		CanonicalARN: "arn:aws:iam::111122223333:user/a", AccessKeyID: "AKIAEXAMPLE", UserID: "AIDAEXAMPLE", SessionName: "s"},
		Result: resolve.Result{Username: "a", Groups: []string{"g"}}}
	for _, b := range []*Binder{binder, nil} {
		h := &TokenReviewHandler{Binder: b, Now: time.Now}
		var st reviewStatus
		h.userInfo(&st, out)
		var keys []string
		for _, e := range st.Extra {
			keys = append(keys, e.Key)
			if len(e.Values) != 1 || e.Values[0] == "" {
				t.Errorf("extra %s = %q, want one value", e.Key, e.Values)
			}
		}
		want := []string{ExtraAccessKeyID, ExtraARN, ExtraCanonicalARN, ExtraBinding, ExtraPrincipalID, ExtraSessionName}
		if b == nil {
			want = slices.DeleteFunc(want, func(k string) bool { return k == ExtraBinding })
		}
		if !slices.IsSorted(keys) || !slices.Equal(keys, want) {
			t.Errorf("binder %v: extras %q, want %q, sorted", b != nil, keys, want)
		}
	}
}

// referenceTokenReview is the answer as the API types hold it, for
// encoding/json (how the handler encoded it before appendTokenReview).
func referenceTokenReview(apiVersion string, st authnv1.TokenReviewStatus) any {
	tm := metav1.TypeMeta{APIVersion: apiVersion, Kind: "TokenReview"}
	if apiVersion == apiVersionV1beta1 {
		var extra map[string]authnv1beta1.ExtraValue
		if st.User.Extra != nil {
			extra = map[string]authnv1beta1.ExtraValue{}
			for k, v := range st.User.Extra {
				extra[k] = authnv1beta1.ExtraValue(v)
			}
		}
		return authnv1beta1.TokenReview{TypeMeta: tm, Status: authnv1beta1.TokenReviewStatus{
			Authenticated: st.Authenticated, Error: st.Error, Audiences: st.Audiences,
			User: authnv1beta1.UserInfo{Username: st.User.Username, UID: st.User.UID, Groups: st.User.Groups, Extra: extra},
		}}
	}
	return authnv1.TokenReview{TypeMeta: tm, Status: st}
}

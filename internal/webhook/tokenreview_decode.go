package webhook

import (
	"encoding/json"

	"github.com/kubeiam/kubeiam/internal/jsonscan"
)

// maxFastBody bounds the bodies decodeTokenReview scans itself: a
// kube-apiserver TokenReview is a few kilobytes (a kubeiam token is about
// 2 KB); anything larger goes to encoding/json.
const maxFastBody = 64 << 10

// decodeTokenReview decodes a TokenReview request body into in with exactly
// the result and the error of json.Unmarshal(body, in) on a zero in.
//
// The warm path spent about a third of its CPU in encoding/json, which
// validates the whole body and then decodes it by reflection, for four
// fields. scanTokenReview (with package jsonscan) reads the common shape in one pass: one object
// with apiVersion, kind and spec (token, audiences) as plain strings, other
// members skipped after checking that they are valid JSON. Whatever it does
// not fully understand (an escape in a string, a duplicate or
// differently-cased key, a null, a value of another type, invalid UTF-8,
// deep nesting, a large body, any syntax error) makes it give up, and
// encoding/json decides: the answer never depends on which path ran.
// FuzzDecodeTokenReview holds the two to the same result.
func decodeTokenReview(body []byte, in *tokenReview) error {
	if len(body) <= maxFastBody {
		if scanTokenReview(jsonscan.New(body), in) {
			return nil
		}
		*in = tokenReview{}
	}
	return json.Unmarshal(body, in)
}

// scanTokenReview reads the whole body, or reports that it gave up.
func scanTokenReview(s *jsonscan.Scanner, in *tokenReview) bool {
	var seenAPIVersion, seenKind, seenSpec bool
	return s.Object(func(key []byte) bool {
		switch string(key) {
		case "apiVersion":
			return jsonscan.Once(&seenAPIVersion) && s.String(&in.APIVersion)
		case "kind":
			return jsonscan.Once(&seenKind) && s.String(&in.Kind)
		case "spec":
			return jsonscan.Once(&seenSpec) && scanSpec(s, in)
		}
		return s.Unknown(key, "apiversion", "kind", "spec")
	}) && s.End()
}

func scanSpec(s *jsonscan.Scanner, in *tokenReview) bool {
	var seenToken, seenAudiences bool
	return s.Object(func(key []byte) bool {
		switch string(key) {
		case "token":
			return jsonscan.Once(&seenToken) && s.String(&in.Spec.Token)
		case "audiences":
			return jsonscan.Once(&seenAudiences) && s.Strings(&in.Spec.Audiences)
		}
		return s.Unknown(key, "token", "audiences")
	})
}

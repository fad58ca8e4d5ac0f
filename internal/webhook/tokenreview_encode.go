package webhook

import "unicode/utf8"

// reviewStatus is a TokenReview answer's status as the handler builds it:
// authnv1.TokenReviewStatus with the user's extras as a list sorted by key
// (the order encoding/json writes a map in) instead of a map, which cost
// seven allocations per review to build and a sort to encode.
type reviewStatus struct {
	Authenticated bool
	Username, UID string
	Groups        []string
	// Extra is sorted by key, and its keys are distinct.
	Extra     []extra
	Audiences []string
	Error     string
}

// extra is one entry of UserInfo.Extra.
type extra struct {
	Key    string
	Values []string
}

// appendTokenReview appends the TokenReview answer with status st in
// apiVersion (authentication.k8s.io/v1 or v1beta1, whose types encode
// alike) to dst: byte for byte what encoding/json's Encoder writes for
// authnv1.TokenReview (or authnv1beta1.TokenReview) with that status,
// final newline included, without reflection.
//
// The answer is on every request's path; encoding it through reflection
// (the map of extras sorted by reflect.Value, each string escaped through
// an interface) was about an eighth of the warm path's CPU.
// TestAppendTokenReviewIsEncodingJSON and FuzzAppendTokenReview hold it to
// encoding/json's bytes, hostile strings included.
func appendTokenReview(dst []byte, apiVersion string, st *reviewStatus) []byte {
	dst = append(dst, `{"kind":"TokenReview","apiVersion":`...)
	dst = appendJSONString(dst, apiVersion)
	dst = append(dst, `,"metadata":{"creationTimestamp":null},"spec":{},"status":{`...)
	if st.Authenticated {
		dst = append(dst, `"authenticated":true,`...)
	}
	dst = append(dst, `"user":{`...)
	comma := false
	field := func(name string) {
		if comma {
			dst = append(dst, ',')
		}
		comma = true
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, `":`...)
	}
	if st.Username != "" {
		field("username")
		dst = appendJSONString(dst, st.Username)
	}
	if st.UID != "" {
		field("uid")
		dst = appendJSONString(dst, st.UID)
	}
	if len(st.Groups) > 0 {
		field("groups")
		dst = appendJSONStrings(dst, st.Groups)
	}
	if len(st.Extra) > 0 {
		field("extra")
		dst = append(dst, '{')
		for i, e := range st.Extra {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, e.Key)
			dst = append(dst, ':')
			dst = appendJSONStrings(dst, e.Values)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, '}')
	if len(st.Audiences) > 0 {
		dst = append(dst, `,"audiences":`...)
		dst = appendJSONStrings(dst, st.Audiences)
	}
	if st.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = appendJSONString(dst, st.Error)
	}
	return append(dst, "}}\n"...)
}

// appendJSONStrings appends a string array, or null for a nil slice, as
// encoding/json does.
func appendJSONStrings(dst []byte, vs []string) []byte {
	if vs == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, v)
	}
	return append(dst, ']')
}

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes it by default: quote, backslash and control characters (the
// short forms \b \f \n \r \t, else \u00XX), the HTML characters < > & as
// \u003c \u003e \u0026, U+2028 and U+2029, and each byte of invalid UTF-8
// as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

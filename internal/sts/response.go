package sts

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/kubeiam/kubeiam/internal/jsonscan"
)

// callerIdentity is STS's GetCallerIdentity result.
type callerIdentity struct {
	Account, Arn, UserID string
}

// fault is an STS error answer.
type fault struct {
	Code, Message, RequestID string
}

var errUnknownFormat = errors.New("body is neither JSON nor XML")

// parseIdentity reads a GetCallerIdentity answer in either form STS
// speaks: JSON (asked for with Accept: application/json) or the XML of the
// query protocol, which some endpoints and emulators return regardless.
func parseIdentity(body []byte) (callerIdentity, error) {
	body = bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte("{")):
		return parseIdentityJSON(body)
	case bytes.HasPrefix(body, []byte("<")):
		var x struct {
			XMLName xml.Name `xml:"GetCallerIdentityResponse"`
			Result  struct {
				Account string `xml:"Account"`
				Arn     string `xml:"Arn"`
				UserID  string `xml:"UserId"`
			} `xml:"GetCallerIdentityResult"`
		}
		if err := xml.Unmarshal(body, &x); err != nil {
			return callerIdentity{}, err
		}
		return callerIdentity{Account: x.Result.Account, Arn: x.Result.Arn, UserID: x.Result.UserID}, nil
	}
	return callerIdentity{}, errUnknownFormat
}

// identityJSON is STS's JSON GetCallerIdentity answer, the part read.
type identityJSON struct {
	GetCallerIdentityResponse struct {
		GetCallerIdentityResult struct {
			Account string
			Arn     string
			UserID  string `json:"UserId"`
		}
	}
}

// parseIdentityJSON reads the JSON answer with jsonscan, and with
// encoding/json whenever the scanner gives up (see package jsonscan), with
// the same result either way (FuzzParseIdentityJSON). Decoding it was the
// largest single cost of a cold review after TLS itself.
func parseIdentityJSON(body []byte) (callerIdentity, error) {
	var j identityJSON
	if !scanIdentity(jsonscan.New(body), &j) {
		j = identityJSON{}
		if err := json.Unmarshal(body, &j); err != nil {
			return callerIdentity{}, err
		}
	}
	r := j.GetCallerIdentityResponse.GetCallerIdentityResult
	return callerIdentity{Account: r.Account, Arn: r.Arn, UserID: r.UserID}, nil
}

func scanIdentity(s *jsonscan.Scanner, j *identityJSON) bool {
	var seenResponse bool
	return s.Object(func(key []byte) bool {
		if string(key) != "GetCallerIdentityResponse" {
			return s.Unknown(key, "getcalleridentityresponse")
		}
		var seenResult bool
		return jsonscan.Once(&seenResponse) && s.Object(func(key []byte) bool {
			if string(key) != "GetCallerIdentityResult" {
				return s.Unknown(key, "getcalleridentityresult")
			}
			r := &j.GetCallerIdentityResponse.GetCallerIdentityResult
			var seenAccount, seenArn, seenUserID bool
			return jsonscan.Once(&seenResult) && s.Object(func(key []byte) bool {
				switch string(key) {
				case "Account":
					return jsonscan.Once(&seenAccount) && s.String(&r.Account)
				case "Arn":
					return jsonscan.Once(&seenArn) && s.String(&r.Arn)
				case "UserId":
					return jsonscan.Once(&seenUserID) && s.String(&r.UserID)
				}
				return s.Unknown(key, "account", "arn", "userid")
			})
		})
	}) && s.End()
}

// parseFault reads an STS error answer: the query protocol's XML
// (<ErrorResponse><Error><Code>), the query-compatible JSON ({"Error":
// {"Code"}}) or the JSON protocol's {"__type"} form. An unreadable body
// gives an empty fault; the status code still classifies the error.
func parseFault(body []byte, h http.Header) fault {
	var f fault
	body = bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte("{")):
		var j struct {
			Error struct {
				Code, Message string
			}
			Type      string `json:"__type"`
			Message   string `json:"message"`
			MessageUC string `json:"Message"`
			RequestID string `json:"RequestId"`
		}
		if json.Unmarshal(body, &j) == nil {
			f = fault{Code: j.Error.Code, Message: j.Error.Message, RequestID: j.RequestID}
			if f.Code == "" {
				f.Code = typeCode(j.Type)
			}
			if f.Message == "" {
				f.Message = firstNonEmpty(j.Message, j.MessageUC)
			}
		}
	case bytes.HasPrefix(body, []byte("<")):
		var x struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Error   struct {
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Error"`
			RequestID string `xml:"RequestId"`
		}
		if xml.Unmarshal(body, &x) == nil {
			f = fault{Code: x.Error.Code, Message: x.Error.Message, RequestID: x.RequestID}
		}
	}
	// The JSON protocol in query-compatible mode names the query error code
	// in a header: "x-amzn-query-error: InvalidClientTokenId;Sender".
	if q := h.Get("X-Amzn-Query-Error"); q != "" {
		if code, _, _ := strings.Cut(q, ";"); code != "" {
			f.Code = code
		}
	}
	if f.RequestID == "" {
		f.RequestID = firstNonEmpty(h.Get("X-Amzn-Requestid"), h.Get("X-Amz-Request-Id"))
	}
	f.Code = clean(f.Code, 64)
	f.Message = clean(f.Message, 256)
	f.RequestID = clean(f.RequestID, 64)
	return f
}

// typeCode extracts the code from a JSON __type such as
// "com.amazonaws.sts#ExpiredTokenException" or
// "ExpiredToken:http://internal.amazon.com/coral/...".
func typeCode(t string) string {
	if i := strings.LastIndex(t, "#"); i >= 0 {
		t = t[i+1:]
	}
	t, _, _ = strings.Cut(t, ":")
	return t
}

// throttlingCodes are the error codes the AWS SDKs retry as throttling.
var throttlingCodes = map[string]bool{
	"Throttling":                true,
	"ThrottlingException":       true,
	"ThrottledException":        true,
	"RequestThrottledException": true,
	"TooManyRequestsException":  true,
	"RequestLimitExceeded":      true,
	"RequestThrottled":          true,
}

// classOf maps an STS error answer to its class.
func classOf(status int, code string) error {
	switch {
	case status == http.StatusTooManyRequests || throttlingCodes[code]:
		return ErrThrottled
	case status >= 500:
		return ErrUnavailable
	case status >= 400:
		return ErrRejected
	default:
		return ErrUnavailable
	}
}

// clean makes text from the network safe for a log line: control
// characters become spaces and the result is at most max runes.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "..."
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

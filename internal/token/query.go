package token

import (
	"fmt"
	"net/url"
	"strings"
)

// allowedParams are the only query parameters a presigned GetCallerIdentity
// URL may carry, spelled exactly as the SigV4 signer writes them. Anything
// else could change what STS does or what it reports, so it is refused
// rather than ignored.
var allowedParams = [...]string{
	"Action",
	"Version",
	"X-Amz-Algorithm",
	"X-Amz-Credential",
	"X-Amz-Date",
	"X-Amz-Expires",
	"X-Amz-SignedHeaders",
	"X-Amz-Signature",
	"X-Amz-Security-Token",
}

// parseQuery splits a raw query into its parameters and refuses every
// ambiguity a lenient parser would resolve silently: empty segments, raw
// semicolons (a separator to some servers), bad escapes, empty values,
// repeated names, names that differ only in letter case (CVE-2022-2385:
// "action" next to "Action" let a token carry two different requests), and
// names outside the allowlist.
func parseQuery(raw string) (map[string]string, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: %s", ErrMissingParameter, allowedParams[0])
	}
	if strings.Contains(raw, ";") {
		return nil, fmt.Errorf("%w: raw semicolon", ErrMalformedQuery)
	}
	segments := strings.Split(raw, "&")
	params := make(map[string]string, len(segments))
	names := make([]string, 0, len(segments))
	folded := make(map[string]string, len(segments))
	for _, seg := range segments {
		rawName, rawValue, ok := strings.Cut(seg, "=")
		if seg == "" || !ok {
			return nil, fmt.Errorf("%w: empty segment or parameter without a value", ErrMalformedQuery)
		}
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in a parameter name", ErrMalformedQuery)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("%w: bad escape in the value of %s", ErrMalformedQuery, quoteName(name))
		}
		if value == "" {
			return nil, fmt.Errorf("%w: %s has an empty value", ErrMalformedQuery, quoteName(name))
		}
		if _, dup := params[name]; dup {
			return nil, fmt.Errorf("%w: %s", ErrMultiValued, quoteName(name))
		}
		lower := strings.ToLower(name)
		if other, dup := folded[lower]; dup {
			return nil, fmt.Errorf("%w: %s and %s", ErrDuplicateParameter, quoteName(other), quoteName(name))
		}
		params[name], folded[lower] = value, name
		names = append(names, name)
	}
	// Names are judged only once every duplicate has been seen, so that
	// "action&Action" is reported as the duplicate it is.
	for _, name := range names {
		if err := checkParamName(name); err != nil {
			return nil, err
		}
	}
	return params, nil
}

func checkParamName(name string) error {
	for _, allowed := range allowedParams {
		if name == allowed {
			return nil
		}
		if strings.EqualFold(name, allowed) {
			return fmt.Errorf("%w: %s, want %s", ErrParameterCase, quoteName(name), allowed)
		}
	}
	return fmt.Errorf("%w: %s", ErrUnknownParameter, quoteName(name))
}

// quoteName quotes an attacker-chosen parameter name for an error message,
// cut short so a crafted token cannot flood the logs.
func quoteName(name string) string {
	const max = 40
	if len(name) > max {
		return fmt.Sprintf("%q...", name[:max])
	}
	return fmt.Sprintf("%q", name)
}

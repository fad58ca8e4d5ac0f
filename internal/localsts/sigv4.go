package localsts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV4 constants. A request is signed either in the Authorization header
// (what SDKs and the CLI send to call an API) or in the query string (a
// presigned URL: the k8s-aws-v1 token).
const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	scopeTerminator = "aws4_request"
	serviceName     = "sts"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// maxSkew is how far X-Amz-Date may be from the server's clock, as in AWS.
	maxSkew = 15 * time.Minute
	// maxPresignExpiry is the longest X-Amz-Expires SigV4 allows (7 days).
	maxPresignExpiry = 7 * 24 * time.Hour
)

// signature is the SigV4 authentication information of one request.
type signature struct {
	presigned     bool
	accessKeyID   string
	amzDate       string // X-Amz-Date as sent, the time in the string to sign
	date          time.Time
	scope         string // DATE/REGION/SERVICE/aws4_request
	scopeDate     string
	region        string
	service       string
	signedHeaders []string // lowercase, sorted, as sent
	signature     []byte   // decoded X-Amz-Signature or Signature=
	expires       time.Duration
	securityToken string
}

// parseSignature finds the SigV4 information in r: in the Authorization
// header or in the query (already parsed into query). It checks only the
// syntax; verify checks the values.
func parseSignature(r *http.Request, query url.Values) (signature, error) {
	header := r.Header.Get("Authorization")
	inQuery := query.Has("X-Amz-Signature") || query.Has("X-Amz-Algorithm") || query.Has("X-Amz-Credential")
	switch {
	case header != "" && inQuery:
		return signature{}, errInvalidParameterCombination("Only one authentication method is allowed: the Authorization header or the X-Amz-* query parameters.")
	case header != "":
		return parseHeaderSignature(r, header)
	case inQuery:
		return parseQuerySignature(query)
	}
	return signature{}, errMissingAuthenticationToken()
}

func parseHeaderSignature(r *http.Request, header string) (signature, error) {
	alg, rest, _ := strings.Cut(header, " ")
	if alg != algorithm {
		return signature{}, errIncompleteSignature("Unsupported AWS 'algorithm': '" + alg + "'. The only supported algorithm is " + algorithm + ".")
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return signature{}, errIncompleteSignature("Authorization header is not Credential=..., SignedHeaders=..., Signature=...")
		}
		fields[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return signature{}, errIncompleteSignature("Authorization header requires '" + k + "' parameter.")
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return signature{}, errIncompleteSignature("Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	s := signature{amzDate: amzDate, securityToken: r.Header.Get("X-Amz-Security-Token")}
	return s.fill(fields["Credential"], fields["SignedHeaders"], fields["Signature"])
}

func parseQuerySignature(query url.Values) (signature, error) {
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if len(query[k]) != 1 || query.Get(k) == "" {
			return signature{}, errIncompleteSignature("AWS query-string parameters must include exactly one '" + k + "'.")
		}
	}
	if query.Get("X-Amz-Algorithm") != algorithm {
		return signature{}, errIncompleteSignature("X-Amz-Algorithm only supports " + algorithm + ".")
	}
	s := signature{presigned: true, amzDate: query.Get("X-Amz-Date"), securityToken: query.Get("X-Amz-Security-Token")}
	if len(query["X-Amz-Expires"]) > 1 {
		return signature{}, errIncompleteSignature("X-Amz-Expires given more than once.")
	}
	// X-Amz-Expires=0 is accepted: STS ignores X-Amz-Expires on a presigned
	// GetCallerIdentity (see checkTime), and aws-iam-authenticator releases
	// before v0.6.28 sign 0 (kubernetes-sigs/aws-iam-authenticator PR #753,
	// "Fix x-amz-expires header value"), tokens EKS accepts.
	if e := query.Get("X-Amz-Expires"); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil || n < 0 || time.Duration(n)*time.Second > maxPresignExpiry {
			return signature{}, errIncompleteSignature("X-Amz-Expires must be an integer from 0 to 604800.")
		}
		s.expires = time.Duration(n) * time.Second
	}
	return s.fill(query.Get("X-Amz-Credential"), query.Get("X-Amz-SignedHeaders"), query.Get("X-Amz-Signature"))
}

// fill parses the three values both forms share.
func (s signature) fill(credential, signedHeaders, sig string) (signature, error) {
	var err error
	if s.date, err = time.Parse(amzDateFormat, s.amzDate); err != nil || len(s.amzDate) != len(amzDateFormat) {
		return signature{}, errIncompleteSignature("X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.")
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" {
		return signature{}, errIncompleteSignature("Credential must be ACCESS_KEY_ID/DATE/REGION/SERVICE/aws4_request.")
	}
	s.accessKeyID, s.scopeDate, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	if parts[4] != scopeTerminator {
		return signature{}, errSignatureDoesNotMatch("Credential should be scoped with a valid terminator: 'aws4_request', not '" + parts[4] + "'.")
	}
	s.scope = strings.Join(parts[1:], "/")
	s.signedHeaders = strings.Split(signedHeaders, ";")
	if !sort.StringsAreSorted(s.signedHeaders) {
		return signature{}, errSignatureDoesNotMatch("SignedHeaders must be sorted.")
	}
	hasHost := false
	for _, h := range s.signedHeaders {
		if h == "" || h != strings.ToLower(h) {
			return signature{}, errSignatureDoesNotMatch("SignedHeaders must be lower-case header names separated by ';'.")
		}
		hasHost = hasHost || h == "host"
	}
	if !hasHost {
		return signature{}, errSignatureDoesNotMatch("'Host' must be a signed header.")
	}
	if s.signature, err = hex.DecodeString(sig); err != nil || len(s.signature) != sha256.Size {
		return signature{}, errSignatureDoesNotMatch("Signature must be 64 hexadecimal digits.")
	}
	return s, nil
}

// checkTime checks X-Amz-Date against now: within 15 minutes either way.
// That holds for presigned URLs too: STS ignores X-Amz-Expires on a
// presigned GetCallerIdentity and honours it for 15 minutes after
// X-Amz-Date whatever it says (EKS clients sign X-Amz-Expires=60 and use
// the token for 14 minutes), so the local STS does the same.
func (s signature) checkTime(now time.Time) error {
	now = now.UTC()
	nowText := now.Format(amzDateFormat)
	if s.date.After(now.Add(maxSkew)) {
		return errSignatureDoesNotMatch("Signature not yet current: " + s.amzDate + " is still later than " +
			now.Add(maxSkew).Format(amzDateFormat) + " (" + nowText + " + 15 min.)")
	}
	if s.date.Before(now.Add(-maxSkew)) {
		return errSignatureDoesNotMatch("Signature expired: " + s.amzDate + " is now earlier than " +
			now.Add(-maxSkew).Format(amzDateFormat) + " (" + nowText + " - 15 min.)")
	}
	return nil
}

// verify recomputes the signature of r with secret for each candidate
// payload hash and reports whether one matches, in constant time per
// candidate.
func (s signature) verify(r *http.Request, query url.Values, secret string, payloadHashes []string) bool {
	key := signingKey(secret, s.scopeDate, s.region, s.service)
	ok := false
	for _, h := range payloadHashes {
		canonical := canonicalRequest(r, query, s, h)
		sum := sha256.Sum256([]byte(canonical))
		toSign := algorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" + hex.EncodeToString(sum[:])
		if hmac.Equal(hmacSHA256(key, toSign), s.signature) {
			ok = true
		}
	}
	return ok
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// canonicalRequest rebuilds the SigV4 canonical request from what arrived.
// The server only answers on "/", so the canonical URI is always "/".
func canonicalRequest(r *http.Request, query url.Values, s signature, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteString("\n/\n")
	b.WriteString(canonicalQuery(query, s.presigned))
	b.WriteByte('\n')
	for _, h := range s.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalQuery encodes query sorted by name, then value, leaving out the
// signature itself when the request is presigned.
func canonicalQuery(query url.Values, presigned bool) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(query))
	for k, vs := range query {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, pair{uriEncode(k), uriEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// canonicalHeaderValue returns the value of a signed header: Go's server
// moves Host out of the header map, and each value is trimmed with inner
// runs of spaces collapsed, values joined with commas.
func canonicalHeaderValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	values := r.Header.Values(name)
	if len(values) == 0 && name == "content-length" && r.ContentLength >= 0 {
		return strconv.FormatInt(r.ContentLength, 10)
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

// uriEncode percent-encodes everything but the SigV4 unreserved characters.
func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// payloadHashes returns the payload hashes a signature may have used. ok is
// false when X-Amz-Content-Sha256 claims anything but the body's hash.
//
// A request signed in its header must sign the hex SHA-256 of the body it
// carries: UNSIGNED-PAYLOAD and the STREAMING-* values are Amazon S3's
// (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html),
// and STS and EKS compute the canonical request from the body received,
// so a signature over anything else does not match there
// (SignatureDoesNotMatch for STS, InvalidSignatureException for EKS, "The
// request signature we calculated does not match..."). Accepting them would
// let a captured request be replayed with any body.
//
// A presigned URL carries no body: it may sign the empty-body hash (the Go
// SDK) or UNSIGNED-PAYLOAD (botocore's SigV4QueryAuth), but only while the
// body really is empty.
func payloadHashes(r *http.Request, s signature, body []byte) (hashes []string, ok bool) {
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	if s.presigned {
		if len(body) == 0 {
			return []string{bodyHash, unsignedPayload}, true
		}
		return []string{bodyHash}, true
	}
	switch r.Header.Get("X-Amz-Content-Sha256") {
	case "", bodyHash:
		return []string{bodyHash}, true
	}
	return nil, false
}

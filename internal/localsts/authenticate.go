package localsts

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/kubeiam/kubeiam/internal/identity"
)

// AuthenticateRequest verifies the SigV4 signature in r's Authorization
// header, scoped to service (for example "eks"), against the server's IAM
// users and the role sessions it has issued, and returns the signer. It lets
// another API on the same machine (kubeiam's access-management API in dev
// mode) trust exactly the credentials the local STS hands out.
//
// The body is read, up to MaxBodyBytes, for the payload hash and put back so
// that the caller can read it again. Checks run cheapest first: syntax,
// credential scope, clock, key and session token, then the HMAC. Every
// refusal is an *APIError with STS's code (SignatureDoesNotMatch,
// InvalidClientTokenId, ExpiredToken, IncompleteSignature,
// MissingAuthenticationToken, RequestEntityTooLarge).
//
// Presigned URLs are refused: a call to an API is signed in its header.
func (s *Server) AuthenticateRequest(r *http.Request, service string) (identity.Identity, error) {
	body, err := readAndRestoreBody(r)
	if err != nil {
		return identity.Identity{}, err
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return identity.Identity{}, errInvalidParameterValue("The query string is malformed.")
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return identity.Identity{}, errMissingAuthenticationToken()
	}
	sig, err := parseHeaderSignature(r, header)
	if err != nil {
		return identity.Identity{}, err
	}
	if err := s.checkServiceScope(sig, service); err != nil {
		return identity.Identity{}, err
	}
	now := s.now()
	if err := sig.checkTime(now); err != nil {
		return identity.Identity{}, err
	}
	c, err := s.dir.lookup(sig.accessKeyID, sig.securityToken, now)
	if err != nil {
		return identity.Identity{}, err
	}
	hashes, ok := payloadHashes(r, sig, body)
	if !ok {
		return identity.Identity{}, errSignatureDoesNotMatch(messageSignatureDoesNotMatch)
	}
	if !sig.verifyPath(r, query, c.secret, hashes, canonicalURI(r)) {
		return identity.Identity{}, errSignatureDoesNotMatch(messageSignatureDoesNotMatch)
	}
	id, err := identity.FromARN(c.arn, c.principal.Account, c.userID, c.accessKeyID)
	if err != nil {
		return identity.Identity{}, fmt.Errorf("identity of access key %s: %w", c.accessKeyID, err)
	}
	return id, nil
}

// readAndRestoreBody reads r's body, bounded by MaxBodyBytes, and replaces
// it with a reader over the same bytes.
func readAndRestoreBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > MaxBodyBytes {
		return nil, apiError(http.StatusRequestEntityTooLarge, CodeRequestEntityTooLarge,
			fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes))
	}
	return body, nil
}

// checkServiceScope checks the credential scope of an API call: the day of
// X-Amz-Date, the expected service and a region of the partition.
func (s *Server) checkServiceScope(sig signature, service string) error {
	if sig.scopeDate != sig.amzDate[:8] {
		return errSignatureDoesNotMatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
			sig.scopeDate + "' != '" + sig.amzDate[:8] + "', from '" + sig.amzDate + "'.")
	}
	if service == "" || sig.service != service {
		return errSignatureDoesNotMatch("Credential should be scoped to correct service: '" + service + "'.")
	}
	if !s.partition.HasRegion(sig.region) {
		return errSignatureDoesNotMatch("Credential should be scoped to a valid region.")
	}
	return nil
}

// verifyPath is verify for a request whose path is not "/": the canonical
// request is the same but for its URI line.
func (s signature) verifyPath(r *http.Request, query url.Values, secret string, payloadHashes []string, uri string) bool {
	key := signingKey(secret, s.scopeDate, s.region, s.service)
	prefix := r.Method + "\n/\n"
	ok := false
	for _, h := range payloadHashes {
		canonical := canonicalRequest(r, query, s, h)
		if !strings.HasPrefix(canonical, prefix) {
			return false
		}
		canonical = r.Method + "\n" + uri + "\n" + canonical[len(prefix):]
		sum := sha256.Sum256([]byte(canonical))
		toSign := algorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" + hex.EncodeToString(sum[:])
		if hmac.Equal(hmacSHA256(key, toSign), s.signature) {
			ok = true
		}
	}
	return ok
}

// canonicalURI returns the SigV4 canonical URI of r for every service but
// S3: the path exactly as the client sent it, each segment percent-encoded
// once more ("%3A" becomes "%253A"), as the AWS SDKs and CLI compute it.
func canonicalURI(r *http.Request) string {
	path := r.URL.EscapedPath()
	if raw := r.RequestURI; strings.HasPrefix(raw, "/") {
		path, _, _ = strings.Cut(raw, "?")
	}
	if path == "" {
		return "/"
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = uriEncode(p)
	}
	return strings.Join(parts, "/")
}

// Package token encodes, decodes and validates k8s-aws-v1 bearer tokens: a
// presigned STS GetCallerIdentity URL, base64url-encoded without padding,
// behind the prefix "k8s-aws-v1.". It is pure: no I/O; time comes from the
// caller.
package token

import "encoding/base64"

const (
	// Prefix begins every token.
	Prefix = "k8s-aws-v1."
	// ClusterIDHeader is the header, signed into the presigned request, that
	// binds a token to one cluster.
	ClusterIDHeader = "x-k8s-aws-id"
	// MaxLength is the longest token accepted.
	MaxLength = 4096
)

// Encode turns a presigned GetCallerIdentity URL into a token.
func Encode(presignedURL string) string {
	return Prefix + base64.RawURLEncoding.EncodeToString([]byte(presignedURL))
}

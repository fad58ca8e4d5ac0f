// Package resolve decides who a verified AWS identity is to the cluster: the
// Kubernetes username and groups, the access policies granted, and which
// mapping source said so — or why nothing did. It is pure: the caller hands
// it a consistent snapshot of every source.
package resolve

import "github.com/kubeiam/kubeiam/internal/authz"

// Source names where a mapping came from.
type Source string

// The mapping sources, in the words the decision log uses.
const (
	SourceCreator     Source = "creator"
	SourceAccessEntry Source = "accessEntry"
	SourceMapRoles    Source = "mapRoles"
	SourceMapUsers    Source = "mapUsers"
	SourceMapAccounts Source = "mapAccounts"
)

// Code is a stable, machine-readable reason for a decision.
type Code string

// Reason codes. They are part of kubeiam's interface (logs, explain, JSON
// output); never rename one.
const (
	CodeMapped    Code = "MAPPED"
	CodeNotMapped Code = "ARN_NOT_MAPPED"
	// CodePrincipalRecreated: the caller's ARN has an access entry, but
	// the entry was created for another IAM principal of the same ARN, one
	// since deleted and recreated (its unique ID differs from the caller's
	// STS UserId), and nothing else maps the caller. As in EKS, the entry
	// must be recreated.
	CodePrincipalRecreated Code = "PRINCIPAL_RECREATED"
	CodeTemplateFailed     Code = "USERNAME_TEMPLATE_FAILED"
	CodeEC2DNSUnavailable  Code = "EC2_PRIVATE_DNS_UNAVAILABLE"
	CodeInvalidToken       Code = "INVALID_TOKEN"
	CodeExpiredToken       Code = "TOKEN_EXPIRED"
	CodeSTSRejected        Code = "STS_REJECTED"
	// CodeWrongClusterID: STS answered SignatureDoesNotMatch for a token
	// that passed every local check. The server sends its own cluster ID
	// as the signed x-k8s-aws-id header, so a token minted for another
	// cluster ID fails exactly this way (a wrong secret access key does
	// too; the token does not carry the ID it was minted for, only that
	// the header was signed, so the client that minted it confirms).
	CodeWrongClusterID Code = "WRONG_CLUSTER_ID"
	CodeSTSThrottled   Code = "STS_THROTTLED"
	CodeSTSUnavailable Code = "STS_UNAVAILABLE"
)

// Result is the outcome of resolving one identity. A caller that is not
// mapped is a Result with Mapped false and a Reason, not an error.
type Result struct {
	Mapped   bool
	Username string
	Groups   []string
	// Source is the mapping that matched; SourceDetail says which entry
	// ("mapRoles[2] rolearn=arn:...", "access entry arn:...").
	Source       Source
	SourceDetail string
	// Grants are the access policies associated with the matching access
	// entry (or the creator's), enforced by the authorization webhook.
	Grants []authz.Grant
	// Code and Reason say why; Reason is the public text ("ARN is not mapped").
	Code   Code
	Reason string
	// Notes record what was consulted and ruled out, for logs and explain
	// (for example "aws-auth ignored: authentication mode is API").
	Notes []string
}

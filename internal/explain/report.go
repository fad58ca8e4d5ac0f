// Package explain answers "why am I Unauthorized, and what exactly fixes
// it": given an IAM identity (or only an ARN), a snapshot of every mapping
// source and optionally a request, it reports each source consulted and
// whether it matched, the Kubernetes user that results, which access policy
// or RBAC binding allows the request, a stable cause code, the near misses
// an operator usually believes in, and the commands that fix the cause.
//
// It is pure: no I/O, no logging. The server explains against its live
// snapshot (internal/diag); the CLI against files (internal/cli, explain).
package explain

import "github.com/kubeiam/kubeiam/internal/resolve"

// Code is a stable, machine-readable cause. Codes are part of kubeiam's
// interface (JSON output, scripts, tests): never rename one.
type Code string

// Causes: the primary outcome of an explanation.
const (
	// CodeMapped: the identity maps to a Kubernetes user (no request given).
	CodeMapped = Code(resolve.CodeMapped)
	// CodeAllowedByPolicy: an associated access policy allows the request.
	CodeAllowedByPolicy Code = "ALLOWED_BY_ACCESS_POLICY"
	// CodeAllowedByRBAC: an RBAC binding given as input allows the request.
	CodeAllowedByRBAC Code = "ALLOWED_BY_RBAC"
	// CodeRBACDecides: no access policy allows the request; RBAC, which
	// explain was not given, has to.
	CodeRBACDecides Code = "RBAC_DECIDES"
	// CodeNotAllowed: neither an access policy nor the RBAC given allows it.
	CodeNotAllowed Code = "REQUEST_NOT_ALLOWED"
	// CodeNotMapped: no source maps the identity and nothing almost does.
	CodeNotMapped = Code(resolve.CodeNotMapped)
	// CodeInvalidARN: the input is not a principal ARN that can authenticate.
	CodeInvalidARN Code = "INVALID_ARN"
	// CodeTemplateFailed and CodeEC2DNSUnavailable are resolve's.
	CodeTemplateFailed    = Code(resolve.CodeTemplateFailed)
	CodeEC2DNSUnavailable = Code(resolve.CodeEC2DNSUnavailable)
)

// Near misses and warnings: each is also a Finding code, and becomes the
// cause when it is why the identity is not mapped.
const (
	// CodeRolePathInMapping: an aws-auth rolearn written with an IAM path
	// matched. kubeiam ignores paths; EKS's authenticator does not, so the
	// same ConfigMap leaves the caller Unauthorized there.
	CodeRolePathInMapping Code = "ROLE_PATH_IN_MAPPING"
	// CodeOtherAccount: the same role or user name is mapped in another account.
	CodeOtherAccount Code = "MAPPED_IN_OTHER_ACCOUNT"
	// CodeOtherPartition: the same name and account in another partition.
	CodeOtherPartition Code = "MAPPED_IN_OTHER_PARTITION"
	// CodeMappedAsUser: mapped as an IAM user, but the caller is a role.
	CodeMappedAsUser Code = "MAPPED_AS_USER_NOT_ROLE"
	// CodeMappedAsRole: mapped as an IAM role, but the caller is a user.
	CodeMappedAsRole Code = "MAPPED_AS_ROLE_NOT_USER"
	// CodeEntryIgnoredConfigMap: an access entry exists, but the
	// authentication mode is CONFIG_MAP, which consults aws-auth only.
	CodeEntryIgnoredConfigMap Code = "ACCESS_ENTRY_IGNORED_CONFIG_MAP_MODE"
	// CodeAWSAuthIgnoredAPI: an aws-auth entry matches, but the mode is API,
	// which consults access entries only.
	CodeAWSAuthIgnoredAPI Code = "AWS_AUTH_IGNORED_API_MODE"
	// CodeGroupWithoutBinding: the caller has a group that no RoleBinding or
	// ClusterRoleBinding given as input names.
	CodeGroupWithoutBinding Code = "GROUP_WITHOUT_BINDING"
	// CodeSessionNameRejected: the mapping matched, but the username
	// template refuses this caller's session name (none, or one that makes
	// a reserved username such as system:admin).
	CodeSessionNameRejected Code = "SESSION_NAME_REJECTED"
	// CodeCreatorNotImplicit: the caller is the cluster creator, whose
	// implicit admin exists only in CONFIG_MAP mode.
	CodeCreatorNotImplicit Code = "CREATOR_NOT_IMPLICIT"
)

// Verdict summarizes the outcome in one word.
type Verdict string

// Verdicts.
const (
	VerdictMapped      Verdict = "mapped"       // mapped; no request asked about
	VerdictAllowed     Verdict = "allowed"      // the request is allowed
	VerdictRBACDecides Verdict = "rbac-decides" // mapped; only RBAC (not given) can allow
	VerdictDenied      Verdict = "denied"       // mapped, but nothing given allows the request
	VerdictNotMapped   Verdict = "not-mapped"   // Unauthorized: no Kubernetes user
)

// OK reports whether the verdict lets the caller in: mapped, allowed, or
// left to an RBAC explain could not see. Commands exit 0 on it.
func (v Verdict) OK() bool {
	return v == VerdictMapped || v == VerdictAllowed || v == VerdictRBACDecides
}

// Severity grades a finding.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Report is the explanation. Its JSON field names are stable.
type Report struct {
	// ARN is the input; CanonicalARN is what mappings are matched against,
	// and ARNChanges says how one became the other.
	ARN          string   `json:"arn"`
	CanonicalARN string   `json:"canonicalArn,omitempty"`
	ARNChanges   []string `json:"arnChanges,omitempty"`
	// Verified is true when the identity came from a token STS verified,
	// false for an ARN taken on trust (session name and key ID unknown).
	Verified bool `json:"verified"`
	// Mode is the authentication mode; ModeNotes say what it rules out.
	Mode      string   `json:"authenticationMode"`
	ModeNotes []string `json:"modeNotes,omitempty"`
	// Sources are every mapping source, in the order they are consulted.
	Sources []SourceCheck `json:"sources"`
	// Mapped, Username, Groups, MappedBy and Policies are the result.
	Mapped   bool     `json:"mapped"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	MappedBy string   `json:"mappedBy,omitempty"`
	Policies []Policy `json:"policies,omitempty"`
	// Request is the request asked about, and who allows it.
	Request *RequestResult `json:"request,omitempty"`
	// RBACSource says where the RBAC that decided the request came from:
	// "live (context NAME)", "file PATH", or "none" with why.
	RBACSource string `json:"rbacSource,omitempty"`
	// Verdict, Code and Reason are the outcome.
	Verdict Verdict `json:"verdict"`
	Code    Code    `json:"code"`
	Reason  string  `json:"reason"`
	// Findings are near misses, warnings and notes, each with its code.
	Findings []Finding `json:"findings,omitempty"`
	// Fixes fix the cause (and the warnings), most direct first.
	Fixes []Fix `json:"fixes,omitempty"`
}

// SourceCheck is one mapping source and what it said about the caller.
type SourceCheck struct {
	// Source is creator, accessEntry, mapRoles, mapUsers or mapAccounts.
	Source string `json:"source"`
	// Consulted is false when the mode does not consult the source.
	Consulted bool `json:"consulted"`
	// Matched is true when the source has an entry for the caller, whether
	// or not it was consulted.
	Matched bool `json:"matched"`
	// Detail says which entry, or why not.
	Detail string `json:"detail"`
}

// Policy is an access policy associated with the caller.
type Policy struct {
	ARN   string `json:"arn"`
	Scope string `json:"scope"`
}

// Request is a Kubernetes request to explain. Path makes it a non-resource
// request (/healthz).
type Request struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"apiGroup,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Name        string `json:"name,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Path        string `json:"path,omitempty"`
}

// RequestResult says who allows the request.
type RequestResult struct {
	Request
	// Description is the request in words: `get pods in namespace "dev"`.
	Description string `json:"description"`
	Allowed     bool   `json:"allowed"`
	// AllowedBy is "accessPolicy" or "rbac" when Allowed.
	AllowedBy string `json:"allowedBy,omitempty"`
	// Policy and Scope name the access policy that allows it.
	Policy string `json:"policy,omitempty"`
	Scope  string `json:"scope,omitempty"`
	// Binding names the RBAC binding that allows it ("RoleBinding dev/readers").
	Binding string `json:"binding,omitempty"`
	// Reason is the access policy evaluation's reason.
	Reason string `json:"reason"`
	// RBACNeeds says what an RBAC binding would need to allow the request,
	// when no access policy does.
	RBACNeeds string `json:"rbacNeeds,omitempty"`
}

// Finding is a near miss, a warning or a note.
type Finding struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

package access

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/partition"
)

// EntryType is the type of an access entry: STANDARD for people and
// workloads, the others for the IAM roles of nodes.
type EntryType string

// The access entry types, spelled as in the EKS API.
const (
	// EntryStandard is the default: any username and groups, and access
	// policies may be associated.
	EntryStandard EntryType = "STANDARD"
	// EntryEC2Linux and EntryEC2Windows are for the IAM roles of self-managed
	// EC2 nodes.
	EntryEC2Linux   EntryType = "EC2_LINUX"
	EntryEC2Windows EntryType = "EC2_WINDOWS"
	// EntryFargateLinux is for Fargate pod execution roles.
	EntryFargateLinux EntryType = "FARGATE_LINUX"
	// EntryHybridLinux is for the IAM roles of hybrid nodes.
	EntryHybridLinux EntryType = "HYBRID_LINUX"
	// EntryEC2 is for EKS Auto Mode node roles. It takes one access policy,
	// AmazonEKSAutoNodePolicy, whose rules EKS does not publish: in kubeiam
	// such an entry only authenticates, and its username has only what RBAC
	// binds to it.
	EntryEC2 EntryType = "EC2"
	// EntryHyperPodLinux is for the instance roles of SageMaker HyperPod
	// clusters that EKS orchestrates.
	EntryHyperPodLinux EntryType = "HYPERPOD_LINUX"
)

// EntryTypes returns every access entry type, in the order the EKS API
// reference (CreateAccessEntry, type) lists them.
func EntryTypes() []EntryType {
	return []EntryType{EntryStandard, EntryFargateLinux, EntryEC2Linux, EntryEC2Windows, EntryEC2, EntryHybridLinux, EntryHyperPodLinux}
}

// ParseEntryType parses an access entry type; the empty string is STANDARD,
// as in CreateAccessEntry.
func ParseEntryType(s string) (EntryType, error) {
	if s == "" {
		return EntryStandard, nil
	}
	names := make([]string, 0, len(EntryTypes()))
	for _, t := range EntryTypes() {
		if string(t) == s {
			return t, nil
		}
		names = append(names, string(t))
	}
	return "", newError(InvalidParameterException, "The type %q is invalid, it must be one of %s.", s, strings.Join(names, ", "))
}

// nodeUsername and nodeGroups are what EKS gives node entries, which take no
// custom username or groups (EKS user guide, "Create access entries": the
// table of usernames EKS sets). The templates are expanded at
// authentication: {{EC2PrivateDNSName}} from the instance, {{SessionName}}
// from the session. EKS does not document the identity of HYPERPOD_LINUX
// entries; HyperPod instances are EC2 instances, so kubeiam gives them the
// EC2_LINUX one.
func nodeUsername(t EntryType) string {
	switch t {
	case EntryFargateLinux, EntryHybridLinux:
		return "system:node:{{SessionName}}"
	}
	return "system:node:{{EC2PrivateDNSName}}"
}

func nodeGroups(t EntryType) []string {
	switch t {
	case EntryEC2Linux, EntryHybridLinux, EntryHyperPodLinux:
		return []string{"system:nodes"}
	case EntryEC2Windows:
		// kube-proxy on Windows runs with the node's identity.
		return []string{"system:nodes", "eks:kube-proxy-windows"}
	case EntryFargateLinux:
		// Fargate runs kube-proxy inside the pod's micro-VM.
		return []string{"system:nodes", "system:node-proxier"}
	}
	return nil
}

// AccessEntry grants an IAM principal a Kubernetes identity on the cluster.
type AccessEntry struct {
	ClusterName string
	// PrincipalARN is the IAM user or role, exactly as it was given.
	PrincipalARN string
	// PrincipalID is the principal's IAM unique ID ("AROA..." for a role,
	// "AIDA..." for a user) when the entry was created. EKS stores it and
	// matches it, so that a principal deleted and recreated with the same
	// ARN does not inherit the entry (EKS API reference, AccessEntry,
	// principalArn). Empty when it was not looked up (no IAM lookup
	// configured, or an entry from before kubeiam recorded it): the entry
	// then matches by ARN alone.
	PrincipalID string
	// Username is the Kubernetes username, possibly a template.
	Username string
	// KubernetesGroups are the Kubernetes groups; never nil-vs-empty
	// significant.
	KubernetesGroups []string
	Type             EntryType
	Tags             map[string]string
	AccessEntryARN   string
	CreatedAt        time.Time
	ModifiedAt       time.Time
	// ClientRequestToken is the idempotency token of the CreateAccessEntry
	// that made the entry, if it had one.
	ClientRequestToken string
	// UpdateTokens are the tokens of the entry's latest UpdateAccessEntry
	// requests, oldest first (see ReplayedUpdate).
	UpdateTokens []TokenUse
}

// Clone returns a deep copy of e, so that callers holding a snapshot cannot
// modify each other's slices and maps.
func (e AccessEntry) Clone() AccessEntry {
	e.KubernetesGroups = cloneStrings(e.KubernetesGroups)
	e.Tags = cloneTags(e.Tags)
	e.UpdateTokens = cloneTokenUses(e.UpdateTokens)
	return e
}

// CreateEntryRequest holds the caller's fields of CreateAccessEntry.
type CreateEntryRequest struct {
	PrincipalARN     string
	KubernetesGroups []string
	// Username is empty for the default username of the principal and type.
	Username string
	// Type is empty for STANDARD.
	Type EntryType
	Tags map[string]string
}

// UpdateEntryRequest holds the fields of UpdateAccessEntry; nil leaves a
// field unchanged. The type of an entry cannot be changed.
type UpdateEntryRequest struct {
	// KubernetesGroups replaces the groups; an empty slice removes them all.
	KubernetesGroups *[]string
	// Username replaces the username; the empty string restores the default.
	Username *string
	// ClientRequestToken is the request's idempotency token, if any: the
	// updated entry remembers it (see ReplayedUpdate).
	ClientRequestToken string
}

// EntryKey returns the key access entries are stored and matched under: the
// lookup key of the principal ARN (see arn.Principal.Key).
func EntryKey(principalARN string) (string, error) {
	p, err := arn.Parse(principalARN)
	if err != nil {
		return "", invalidPrincipal(err.Error()).withCause(err)
	}
	return p.Key(), nil
}

// NewEntry validates a CreateAccessEntry request and builds the entry of the
// cluster clusterName in region and accountID (the cluster's, which appear
// in its ARN), created at now.
func NewEntry(req CreateEntryRequest, clusterName, region, accountID string, now time.Time) (AccessEntry, error) {
	t, err := ParseEntryType(string(req.Type))
	if err != nil {
		return AccessEntry{}, err
	}
	p, err := entryPrincipal(req.PrincipalARN, t)
	if err != nil {
		return AccessEntry{}, err
	}
	if err := validateClusterName(clusterName); err != nil {
		return AccessEntry{}, err
	}
	if !validRegion(region) || !arn.ValidAccount(accountID) {
		return AccessEntry{}, newError(InvalidParameterException, "The cluster region %q or account %q is invalid.", region, accountID)
	}
	if err := checkPartition(p, region); err != nil {
		return AccessEntry{}, err
	}
	// EKS user guide, "Create access entries": "If the type of the access
	// entry is anything other than STANDARD, the ARN must be in the same AWS
	// account that your cluster is in."
	if t != EntryStandard && p.Account != accountID {
		return AccessEntry{}, invalidPrincipal(fmt.Sprintf(
			"Access entries of type %s must be for a role in the cluster's account, %s, not %s.", t, accountID, p.Account))
	}
	e := AccessEntry{
		ClusterName:  clusterName,
		PrincipalARN: req.PrincipalARN,
		Type:         t,
		CreatedAt:    now,
		ModifiedAt:   now,
	}
	if t == EntryStandard {
		if e.KubernetesGroups, err = validateGroups(req.KubernetesGroups); err != nil {
			return AccessEntry{}, err
		}
		if e.Username = defaultUsername(p, t); req.Username != "" {
			if err := ValidateUsername(req.Username); err != nil {
				return AccessEntry{}, err
			}
			e.Username = req.Username
		}
	} else {
		if len(req.KubernetesGroups) > 0 {
			return AccessEntry{}, newError(InvalidParameterException,
				"Kubernetes groups cannot be specified for access entries of type %s; they receive %s.", t, describeGroups(nodeGroups(t)))
		}
		if req.Username != "" {
			return AccessEntry{}, newError(InvalidParameterException,
				"A username cannot be specified for access entries of type %s; their username is %s.", t, nodeUsername(t))
		}
		e.Username, e.KubernetesGroups = nodeUsername(t), nodeGroups(t)
	}
	if e.Tags, err = validateTags(req.Tags); err != nil {
		return AccessEntry{}, err
	}
	e.AccessEntryARN = accessEntryARN(p, clusterName, region, accountID, now)
	return e, nil
}

// ValidateNewPrincipal checks, as CreateAccessEntry does and with its
// InvalidParameterException, the type of a new entry ("" is STANDARD) and
// that principalARN is one an entry of that type can be for. The partition
// check needs the cluster's region and stays with Create. The CLI runs it
// before sending, so that both say the same.
func ValidateNewPrincipal(principalARN, entryType string) error {
	t, err := ParseEntryType(entryType)
	if err != nil {
		return err
	}
	_, err = entryPrincipal(principalARN, t)
	return err
}

// entryPrincipal parses the principal ARN of a new entry and refuses, with a
// message that says what to do instead, every principal an entry cannot be
// for.
func entryPrincipal(principalARN string, t EntryType) (arn.Principal, error) {
	p, err := arn.Parse(principalARN)
	if err != nil {
		return arn.Principal{}, invalidPrincipal(err.Error()).withCause(err)
	}
	switch p.Kind {
	case arn.KindRoot:
		return arn.Principal{}, invalidPrincipal("The account root user cannot have an access entry; use an IAM user or role.")
	case arn.KindAssumedRole:
		return arn.Principal{}, invalidPrincipal(principalARN + " is an STS session; create the access entry for its role, " + p.Canonical() + ".")
	case arn.KindFederatedUser:
		return arn.Principal{}, invalidPrincipal("STS federated users cannot have an access entry; use an IAM user or role.")
	}
	if p.IsServiceLinkedRole() || isServiceLinkedRoleName(p) {
		// The service owns the role and its cluster access; EKS manages it.
		return arn.Principal{}, newError(InvalidParameterException,
			"The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role")
	}
	if t != EntryStandard && p.Kind != arn.KindRole {
		return arn.Principal{}, newError(InvalidParameterException,
			"Access entries of type %s must be for an IAM role, not an IAM user.", t)
	}
	return p, nil
}

// serviceLinkedRolePrefix begins the name of every service-linked role,
// such as aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS;
// IAM reserves it, so no other role has it. Written without its path, the
// ARN still names that role to the authenticator, which ignores paths.
const serviceLinkedRolePrefix = "awsservicerolefor"

func isServiceLinkedRoleName(p arn.Principal) bool {
	return p.Kind == arn.KindRole && strings.HasPrefix(strings.ToLower(p.Name), serviceLinkedRolePrefix)
}

// checkPartition refuses a principal of another partition than the
// cluster's region: STS of the cluster's partition never vouches for it,
// so the entry could never be used.
func checkPartition(p arn.Principal, region string) error {
	want, err := partition.New().ForRegion(region)
	if err != nil {
		return newError(InvalidParameterException, "The cluster region %q is in no known partition.", region).withCause(err)
	}
	if p.Partition != want.ID {
		return invalidPrincipal(fmt.Sprintf("The principal is in partition %s, the cluster (region %s) in partition %s.", p.Partition, region, want.ID))
	}
	return nil
}

// invalidPrincipalMessage is EKS's answer to a CreateAccessEntry whose
// principalArn names no IAM principal it can use (InvalidParameterException,
// as users quote it: terraform-aws-modules/terraform-aws-eks issue 2969, an
// ARN of an IAM Identity Center role without its path, and
// aws-samples/sample-agentic-platform issue 11, a role that does not exist).
const invalidPrincipalMessage = "The specified principalArn is invalid: invalid principal."

// ErrPrincipalNotFound is EKS's refusal of an access entry for an IAM
// principal that does not exist, word for word.
func ErrPrincipalNotFound() *Error {
	return newError(InvalidParameterException, "%s", invalidPrincipalMessage)
}

// invalidPrincipal is EKS's message for a principalArn an entry cannot be
// for, followed by what kubeiam knows of the reason (EKS gives none); the
// message begins with EKS's, word for word, for callers that match it.
func invalidPrincipal(detail string) *Error {
	return newError(InvalidParameterException, "%s %s", invalidPrincipalMessage, detail)
}

// defaultUsername is the username EKS gives an entry created without one: a
// user's ARN; for a role, the ARN of its sessions, session name templated.
func defaultUsername(p arn.Principal, t EntryType) string {
	if t != EntryStandard {
		return nodeUsername(t)
	}
	if p.Kind == arn.KindUser {
		return p.String()
	}
	return "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{SessionName}}"
}

// accessEntryARN builds the ARN of a new entry the way EKS shapes it:
//
//	arn:PARTITION:eks:REGION:ACCOUNT:access-entry/CLUSTER/role|user/PRINCIPAL_ACCOUNT/NAME/ID
//
// EKS's ID looks like a UUID and differs each time an entry is recreated.
// kubeiam, being pure, derives it from a SHA-256 of the cluster, the
// principal's key and the creation time in nanoseconds, formatted 8-4-4-4-12:
// stable for one entry, different for a later recreation, and reproducible in
// tests.
func accessEntryARN(p arn.Principal, cluster, region, account string, created time.Time) string {
	sum := sha256.Sum256([]byte(cluster + "\x00" + p.Key() + "\x00" + strconv.FormatInt(created.UnixNano(), 10)))
	h := hex.EncodeToString(sum[:16])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	return "arn:" + p.Partition + ":eks:" + region + ":" + account + ":access-entry/" +
		cluster + "/" + p.Kind.String() + "/" + p.Account + "/" + p.Name + "/" + id
}

// UpdateEntry applies an UpdateAccessEntry request to existing at now and
// returns the updated entry; existing is not modified.
func UpdateEntry(existing AccessEntry, req UpdateEntryRequest, now time.Time) (AccessEntry, error) {
	if existing.Type != EntryStandard {
		return AccessEntry{}, errNotStandard()
	}
	e := existing.Clone()
	if req.KubernetesGroups != nil {
		groups, err := validateGroups(*req.KubernetesGroups)
		if err != nil {
			return AccessEntry{}, err
		}
		e.KubernetesGroups = groups
	}
	if req.Username != nil {
		if *req.Username == "" {
			p, err := arn.Parse(e.PrincipalARN)
			if err != nil {
				return AccessEntry{}, invalidPrincipal(err.Error()).withCause(err)
			}
			e.Username = defaultUsername(p, e.Type)
		} else {
			if err := ValidateUsername(*req.Username); err != nil {
				return AccessEntry{}, err
			}
			e.Username = *req.Username
		}
	}
	e.ModifiedAt = now
	e.UpdateTokens = withUpdateToken(e.UpdateTokens, req)
	return e, nil
}

// errNotStandard is EKS's answer to an update or policy association on a
// node entry, whose identity and permissions are fixed.
func errNotStandard() *Error {
	return newError(InvalidParameterException, `This operation can only be performed on Access Entries with a type of "STANDARD".`)
}

func describeGroups(groups []string) string {
	if len(groups) == 0 {
		return "no groups"
	}
	return strings.Join(groups, ", ")
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func cloneTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

package access

import (
	"time"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// Mode is a cluster's authentication mode: which sources of IAM principal
// mappings the authenticator consults.
type Mode string

// The authentication modes, spelled as in the EKS API.
const (
	// ModeConfigMap consults only the aws-auth ConfigMap.
	ModeConfigMap Mode = "CONFIG_MAP"
	// ModeAPIAndConfigMap consults access entries first, then aws-auth.
	ModeAPIAndConfigMap Mode = "API_AND_CONFIG_MAP"
	// ModeAPI consults only access entries.
	ModeAPI Mode = "API"
)

// rank orders the modes along the only path a cluster may take; -1 for
// anything that is not a mode.
func (m Mode) rank() int {
	switch m {
	case ModeConfigMap:
		return 0
	case ModeAPIAndConfigMap:
		return 1
	case ModeAPI:
		return 2
	}
	return -1
}

// Valid reports whether m is one of the three modes.
func (m Mode) Valid() bool { return m.rank() >= 0 }

// UsesAccessEntries reports whether the authenticator consults access
// entries (and the access management API accepts entry operations) in m.
func (m Mode) UsesAccessEntries() bool { return m == ModeAPI || m == ModeAPIAndConfigMap }

// UsesConfigMap reports whether the authenticator consults aws-auth in m.
func (m Mode) UsesConfigMap() bool { return m == ModeConfigMap || m == ModeAPIAndConfigMap }

// ParseMode parses an authentication mode as the EKS API spells it. The
// empty string is not a mode: applying a default is the caller's business.
func ParseMode(s string) (Mode, error) {
	m := Mode(s)
	if !m.Valid() {
		return "", newError(InvalidParameterException,
			"The authentication mode %q is invalid, it must be one of CONFIG_MAP, API_AND_CONFIG_MAP, API.", s)
	}
	return m, nil
}

// RequireAccessEntries fails, as EKS does, when access entry operations are
// attempted on a cluster whose mode does not use access entries.
func RequireAccessEntries(m Mode) error {
	if m.UsesAccessEntries() {
		return nil
	}
	return newError(InvalidRequestException,
		"The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")
}

// ValidateModeChange checks an UpdateClusterConfig of the authentication
// mode. As in EKS, modes move forwards one step at a time: CONFIG_MAP →
// API_AND_CONFIG_MAP → API. Skipping the middle step, going back, and
// "changing" to the current mode are each an InvalidParameterException
// with EKS's own message, word for word: "Unsupported authentication mode
// update from X to Y." (re:Post knowledge center, "How do I troubleshoot
// issues with access entries in my Amazon EKS cluster?", quotes it for the
// backward changes; the EKS workshop's CONFIG_MAP → API attempt gets the
// same). Why a change is refused is the CLI's to explain (kubeiam cluster
// set-mode), not the API's: tools match EKS's message.
//
// The intermediate mode is where aws-auth's mappings are recreated as
// access entries while both still count, so jumping over it would drop
// every aws-auth mapping at once; and enabling access entries is one-way
// because principals, nodes included, may by then exist only as entries.
func ValidateModeChange(from, to Mode) error {
	if _, err := ParseMode(string(from)); err != nil {
		return err
	}
	if _, err := ParseMode(string(to)); err != nil {
		return err
	}
	if to.rank()-from.rank() == 1 {
		return nil
	}
	return newError(InvalidParameterException, "Unsupported authentication mode update from %s to %s.", from, to)
}

// ClusterConfig is the access configuration of the cluster kubeiam serves.
type ClusterConfig struct {
	// Name is the cluster name, as in the EKS API's paths and ARNs.
	Name string
	// Region and AccountID place the cluster in access entry ARNs.
	Region    string
	AccountID string
	// AuthenticationMode says which mapping sources the authenticator uses.
	AuthenticationMode Mode
	// BootstrapClusterCreatorAdminPermissions gives the creator cluster
	// admin: implicitly in CONFIG_MAP mode, as a visible (and deletable)
	// access entry in the API modes (see BootstrapCreatorEntry).
	BootstrapClusterCreatorAdminPermissions bool
	// CreatorARN is the principal that created the cluster: an IAM user or
	// role, or an assumed-role session of a role.
	CreatorARN string
	// CreatedAt is when the cluster was created.
	CreatedAt time.Time
	// Tags are the cluster's AWS tags (TagResource on the cluster ARN).
	Tags map[string]string
	// Updates is the recent update history, oldest first, at most
	// MaxUpdates (DescribeUpdate, ListUpdates).
	Updates []Update
	// Version counts the stored revisions of this config, starting at 1, for
	// optimistic concurrency. 0 means never stored.
	Version int64
}

// Validate checks c as CreateCluster would.
func (c ClusterConfig) Validate() error {
	if err := validateClusterName(c.Name); err != nil {
		return err
	}
	if !validRegion(c.Region) {
		return newError(InvalidParameterException, "The region %q is invalid.", c.Region)
	}
	if !arn.ValidAccount(c.AccountID) {
		return newError(InvalidParameterException, "The account ID %q is invalid, it must be 12 digits.", c.AccountID)
	}
	if _, err := ParseMode(string(c.AuthenticationMode)); err != nil {
		return err
	}
	if c.AuthenticationMode == ModeConfigMap && !c.BootstrapClusterCreatorAdminPermissions {
		// In CONFIG_MAP mode the creator's implicit admin is the only way in
		// until someone edits aws-auth, so EKS refuses to leave it out.
		return newError(InvalidParameterException,
			"bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode is set to CONFIG_MAP")
	}
	if c.BootstrapClusterCreatorAdminPermissions {
		if _, err := creatorPrincipal(c.CreatorARN); err != nil {
			return err
		}
	}
	if len(c.Tags) > 0 {
		if _, err := validateTags(c.Tags); err != nil {
			return err
		}
	}
	if len(c.Updates) > MaxUpdates {
		return newError(InvalidParameterException, "The update history has %d updates, the maximum is %d.", len(c.Updates), MaxUpdates)
	}
	return nil
}

// ARN returns the cluster's ARN, in the partition of its creator (the
// cluster lives where its creator does; "aws" when there is none).
func (c ClusterConfig) ARN() string {
	partition := "aws"
	if p, err := arn.Parse(c.CreatorARN); err == nil {
		partition = p.Partition
	}
	return "arn:" + partition + ":eks:" + c.Region + ":" + c.AccountID + ":cluster/" + c.Name
}

// Clone returns a deep copy of c.
func (c ClusterConfig) Clone() ClusterConfig {
	c.Tags = cloneTags(c.Tags)
	if c.Updates != nil {
		h := make([]Update, len(c.Updates))
		for i, u := range c.Updates {
			u.Params = append([]UpdateParam(nil), u.Params...)
			u.Errors = append([]UpdateError(nil), u.Errors...)
			h[i] = u
		}
		c.Updates = h
	}
	return c
}

// creatorPrincipal parses the creator ARN and returns the IAM principal the
// creator's access entry is for: the role of an assumed-role session.
func creatorPrincipal(creatorARN string) (arn.Principal, error) {
	p, err := arn.Parse(creatorARN)
	if err != nil || (!p.IsIAM() && p.Kind != arn.KindAssumedRole) {
		return arn.Principal{}, newError(InvalidParameterException,
			"The cluster creator ARN %q is invalid, it must be an IAM user, an IAM role or an assumed-role session.", creatorARN)
	}
	if p.Kind == arn.KindAssumedRole {
		// The canonical form is the role without its path, which STS does
		// not reveal; the key, and so matching, is the same either way.
		if p, err = arn.Parse(p.Canonical()); err != nil {
			return arn.Principal{}, err
		}
	}
	return p, nil
}

// validateClusterName applies the EKS cluster name rule: 1 to 100
// characters, letters, digits, hyphens and underscores, beginning with a
// letter or digit.
// ValidateClusterName checks a cluster name as the store does when the
// cluster record is written, with its InvalidParameterException, so that
// the server's configuration refuses before anything starts a name it
// could never store.
func ValidateClusterName(name string) error { return validateClusterName(name) }

func validateClusterName(name string) error {
	ok := name != "" && len(name) <= 100 && alnum(name[0])
	for i := 0; ok && i < len(name); i++ {
		ok = alnum(name[i]) || name[i] == '-' || name[i] == '_'
	}
	if !ok {
		return newError(InvalidParameterException,
			"The cluster name %q is invalid, it must be 1 to 100 letters, digits, hyphens and underscores, beginning with a letter or digit.", name)
	}
	return nil
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validRegion accepts region-shaped names (lowercase letters, digits and
// hyphens, beginning with a letter); which regions exist is not this
// package's concern.
func validRegion(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

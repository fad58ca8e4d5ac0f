package localsts

import (
	"errors"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/partition"
)

// ErrInvalidConfig is the class of every error ParseConfig and Validate
// return; the wrapped message names the offending field.
var ErrInvalidConfig = errors.New("invalid local STS config")

// Config lists the identities the local STS knows: accounts with their IAM
// users (and those users' access keys) and their roles (and who may assume
// them). It is read from YAML with ParseConfig.
type Config struct {
	// Partition is the partition of every ARN the server issues; default "aws".
	Partition string `json:"partition,omitempty"`
	// Accounts are the AWS accounts.
	Accounts []Account `json:"accounts"`
}

// Account is one AWS account.
type Account struct {
	// ID is the 12-digit account ID. Quote it in YAML.
	ID string `json:"id"`
	// Users are the account's IAM users.
	Users []User `json:"users,omitempty"`
	// Roles are the account's IAM roles.
	Roles []Role `json:"roles,omitempty"`
}

// User is an IAM user with long-term access keys.
type User struct {
	// Name is the user name; unique in the account, ignoring case.
	Name string `json:"name"`
	// Path is the IAM path, "/" when empty.
	Path string `json:"path,omitempty"`
	// AccessKeys are the user's long-term keys ("AKIA...").
	AccessKeys []AccessKey `json:"accessKeys,omitempty"`
	// Generation counts how often the user was deleted and recreated with
	// the same name; its unique ID ("AIDA...") derives from its ARN and
	// generation, so a recreated user has a new one, as in IAM.
	Generation int `json:"generation,omitempty"`
}

// AccessKey is a long-term access key pair.
type AccessKey struct {
	// AccessKeyID begins with AKIA: ASIA is reserved for the temporary
	// credentials AssumeRole issues.
	AccessKeyID string `json:"accessKeyId"`
	// SecretAccessKey signs requests.
	SecretAccessKey string `json:"secretAccessKey"`
}

// Role is an IAM role that AssumeRole can issue sessions for.
type Role struct {
	// Name is the role name; unique in the account, ignoring case.
	Name string `json:"name"`
	// Path is the IAM path, "/" when empty; for example
	// /aws-reserved/sso.amazonaws.com/us-east-1/ for an IAM Identity Center role.
	Path string `json:"path,omitempty"`
	// Trust lists the principals allowed to assume the role: user, role or
	// assumed-role ARNs (a role ARN trusts every session of that role), an
	// account root ARN (trusts every principal of that account) or "*"
	// (every principal the server knows).
	Trust []string `json:"trust,omitempty"`
	// MFACode, when set, makes the role require MFA, as a trust policy
	// with "Bool": {"aws:MultiFactorAuthPresent": "true"} does:
	// AssumeRole must carry a SerialNumber and this TokenCode (six digits;
	// a fixed code stands in for the device's TOTP).
	MFACode string `json:"mfaCode,omitempty"`

	// Generation counts how often the role was deleted and recreated with
	// the same name; its unique ID ("AROA...") derives from its ARN and
	// generation, so a recreated role has a new one, as in IAM (see
	// Server.RecreateRole).
	Generation int `json:"generation,omitempty"`
}

// ParseConfig reads a YAML config, applies defaults and validates it.
// Unknown fields and duplicate keys are errors.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	d := c.withDefaults()
	if err := d.validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// Marshal renders the config as YAML that ParseConfig reads back.
func (c *Config) Marshal() ([]byte, error) {
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("marshal local STS config: %w", err)
	}
	return b, nil
}

// withDefaults returns a deep copy of c with the defaults filled in: the
// partition "aws" and the path "/".
func (c *Config) withDefaults() *Config {
	out := &Config{Partition: c.Partition, Accounts: make([]Account, len(c.Accounts))}
	if out.Partition == "" {
		out.Partition = "aws"
	}
	for i, a := range c.Accounts {
		na := Account{ID: a.ID, Users: make([]User, len(a.Users)), Roles: make([]Role, len(a.Roles))}
		for j, u := range a.Users {
			na.Users[j] = User{Name: u.Name, Path: defaultPath(u.Path), AccessKeys: append([]AccessKey(nil), u.AccessKeys...), Generation: u.Generation}
		}
		for j, r := range a.Roles {
			na.Roles[j] = Role{Name: r.Name, Path: defaultPath(r.Path), Trust: append([]string(nil), r.Trust...), MFACode: r.MFACode, Generation: r.Generation}
		}
		out.Accounts[i] = na
	}
	return out
}

func defaultPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// Validate checks the config with its defaults applied: a known partition,
// 12-digit account IDs, valid and unique names and paths, well-formed and
// globally unique access keys, and trust entries that are principal ARNs of
// the config's partition. Errors wrap ErrInvalidConfig and name the field.
func (c *Config) Validate() error { return c.withDefaults().validate() }

func (c *Config) validate() error {
	if _, ok := partition.New().Lookup(c.Partition); !ok {
		return invalidf("partition: unknown partition %q (known: %s)", c.Partition, strings.Join(partition.New().IDs(), ", "))
	}
	if len(c.Accounts) == 0 {
		return invalidf("accounts: at least one account is required")
	}
	accounts := map[string]string{}
	keys := map[string]string{}
	for i, a := range c.Accounts {
		field := fmt.Sprintf("accounts[%d]", i)
		if !arn.ValidAccount(a.ID) {
			return invalidf("%s.id: %q is not a 12-digit account ID", field, a.ID)
		}
		if prev, dup := accounts[a.ID]; dup {
			return invalidf("%s.id: account %s already defined at %s", field, a.ID, prev)
		}
		accounts[a.ID] = field
		if err := c.validateAccount(field, a, keys); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateAccount(field string, a Account, keys map[string]string) error {
	names := map[string]string{}
	for j, u := range a.Users {
		uf := fmt.Sprintf("%s.users[%d]", field, j)
		if err := c.validatePrincipal(uf, a.ID, "user", u.Name, u.Path, names); err != nil {
			return err
		}
		if u.Generation < 0 {
			return invalidf("%s.generation: %d is negative", uf, u.Generation)
		}
		for k, key := range u.AccessKeys {
			kf := fmt.Sprintf("%s.accessKeys[%d]", uf, k)
			if err := validateAccessKey(kf, key); err != nil {
				return err
			}
			if prev, dup := keys[key.AccessKeyID]; dup {
				return invalidf("%s.accessKeyId: %s already used at %s", kf, key.AccessKeyID, prev)
			}
			keys[key.AccessKeyID] = kf
		}
	}
	names = map[string]string{}
	for j, r := range a.Roles {
		rf := fmt.Sprintf("%s.roles[%d]", field, j)
		if err := c.validatePrincipal(rf, a.ID, "role", r.Name, r.Path, names); err != nil {
			return err
		}
		if r.Generation < 0 {
			return invalidf("%s.generation: %d is negative", rf, r.Generation)
		}
		for k, t := range r.Trust {
			if err := c.validateTrust(fmt.Sprintf("%s.trust[%d]", rf, k), t); err != nil {
				return err
			}
		}
		if r.MFACode != "" && !validTokenCode(r.MFACode) {
			return invalidf("%s.mfaCode: %q is not six digits", rf, r.MFACode)
		}
	}
	return nil
}

// validatePrincipal checks a user or role by parsing the ARN it would have,
// so the rules are exactly those of internal/arn.
func (c *Config) validatePrincipal(field, account, kind, name, path string, seen map[string]string) error {
	if name == "" {
		return invalidf("%s.name: required", field)
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		return invalidf("%s.path: %q must begin and end with /", field, path)
	}
	p, err := arn.Parse("arn:" + c.Partition + ":iam::" + account + ":" + kind + path + name)
	if err != nil {
		return invalidf("%s: name %q or path %q: %v", field, name, path, err)
	}
	if p.Kind == arn.KindRole && p.IsServiceLinkedRole() {
		return invalidf("%s.path: service-linked roles cannot be assumed", field)
	}
	lower := strings.ToLower(name)
	if prev, dup := seen[lower]; dup {
		return invalidf("%s.name: %s %q already defined at %s (names are unique ignoring case)", field, kind, name, prev)
	}
	seen[lower] = field
	return nil
}

func (c *Config) validateTrust(field, t string) error {
	if t == "*" {
		return nil
	}
	p, err := arn.Parse(t)
	if err != nil {
		return invalidf("%s: %v", field, err)
	}
	if p.Partition != c.Partition {
		return invalidf("%s: %q is not in partition %s", field, t, c.Partition)
	}
	if p.Kind == arn.KindFederatedUser {
		return invalidf("%s: %q: federated users cannot be trusted by the local STS", field, t)
	}
	return nil
}

func validateAccessKey(field string, k AccessKey) error {
	id := k.AccessKeyID
	if !strings.HasPrefix(id, "AKIA") {
		return invalidf("%s.accessKeyId: %q must begin with AKIA (ASIA is for temporary credentials)", field, id)
	}
	if len(id) < 16 || len(id) > 128 {
		return invalidf("%s.accessKeyId: %q must be 16 to 128 characters", field, id)
	}
	for i := 0; i < len(id); i++ {
		if !upperAlnum(id[i]) {
			return invalidf("%s.accessKeyId: %q must be upper-case letters and digits", field, id)
		}
	}
	if len(k.SecretAccessKey) < 16 || len(k.SecretAccessKey) > 128 {
		// Never print a secret, not even a wrong one.
		return invalidf("%s.secretAccessKey: must be 16 to 128 characters", field)
	}
	for i := 0; i < len(k.SecretAccessKey); i++ {
		if c := k.SecretAccessKey[i]; c < 0x21 || c > 0x7e {
			return invalidf("%s.secretAccessKey: must be printable ASCII without spaces", field)
		}
	}
	return nil
}

func upperAlnum(c byte) bool { return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// validTokenCode reports whether code has STS's TokenCode format: six
// digits (AssumeRole, "TokenCode", STS API Reference).
func validTokenCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

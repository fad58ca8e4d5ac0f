package awsauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubeiam/kubeiam/internal/identity"
)

// The template variables usernames and groups may contain, as {{Name}}.
const (
	// VarAccountID is the caller's account ID.
	VarAccountID = "AccountID"
	// VarSessionName is the role session name with '@' replaced by '-', so
	// that an e-mail session name makes a valid node or user name.
	VarSessionName = "SessionName"
	// VarSessionNameRaw is the role session name unchanged.
	VarSessionNameRaw = "SessionNameRaw"
	// VarAccessKeyID is the access key that signed the caller's token.
	VarAccessKeyID = "AccessKeyID"
	// VarEC2PrivateDNSName is the private DNS name of the EC2 instance whose
	// ID is the session name; resolving it needs EC2 DescribeInstances.
	VarEC2PrivateDNSName = "EC2PrivateDNSName"
)

// TemplateVariables returns the names of the template variables, in a
// stable order. The slice is the caller's to keep.
func TemplateVariables() []string {
	return []string{VarAccountID, VarSessionName, VarSessionNameRaw, VarAccessKeyID, VarEC2PrivateDNSName}
}

// Errors returned by Expand. Compare with errors.Is.
var (
	// ErrUnknownTemplate: a {{Name}} that is not a template variable, or a {{ without }}.
	ErrUnknownTemplate = errors.New("unknown template variable")
	// ErrNoSessionName: {{SessionName}} or {{SessionNameRaw}} for a caller
	// that is not a role session (an IAM user has no session name).
	ErrNoSessionName = errors.New("template uses the session name but the caller is not an assumed-role session")
	// ErrEC2DNSUnavailable: {{EC2PrivateDNSName}} with no EC2 resolver configured.
	ErrEC2DNSUnavailable = errors.New("{{EC2PrivateDNSName}} needs EC2 DescribeInstances, which is not enabled")
	// ErrEmptyVariable: a variable the template uses has an empty value.
	ErrEmptyVariable = errors.New("template variable is empty")
)

// Vars are the values substituted into username and group templates.
type Vars struct {
	AccountID   string
	SessionName string
	AccessKeyID string
	// EC2PrivateDNSName resolves the instance's private DNS name. It is
	// called only when a template uses {{EC2PrivateDNSName}}, because it costs
	// an EC2 API call. Nil means the resolver is not enabled.
	EC2PrivateDNSName func() (string, error)
}

// VarsFor returns the variables of a verified caller. EC2PrivateDNSName is
// left nil for the caller to set when EC2 lookups are enabled.
func VarsFor(id identity.Identity) Vars {
	return Vars{AccountID: id.AccountID, SessionName: id.SessionName, AccessKeyID: id.AccessKeyID}
}

// UsesTemplate reports whether s contains the variable name as {{name}}.
func UsesTemplate(s, name string) bool {
	return strings.Contains(s, "{{"+name+"}}")
}

// Expand substitutes the variables in tmpl. Substituted values are not
// scanned again, so a value cannot inject a template.
func Expand(tmpl string, v Vars) (string, error) {
	var b strings.Builder
	err := scanTemplate(tmpl, func(literal string) { b.WriteString(literal) }, func(name string) error {
		val, err := v.value(name)
		if err != nil {
			return err
		}
		b.WriteString(val)
		return nil
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// checkTemplate reports the first unknown variable or stray {{ in tmpl.
func checkTemplate(tmpl string) error {
	return scanTemplate(tmpl, func(string) {}, func(name string) error {
		if !knownVariable(name) {
			return fmt.Errorf("%w {{%s}} (known: %s)", ErrUnknownTemplate, name, knownList())
		}
		return nil
	})
}

// scanTemplate splits tmpl into literals and {{variables}}, calling the
// matching function for each in order.
func scanTemplate(tmpl string, literal func(string), variable func(string) error) error {
	rest := tmpl
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			literal(rest)
			return nil
		}
		literal(rest[:i])
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return fmt.Errorf("%w: {{ without }} in %q", ErrUnknownTemplate, tmpl)
		}
		if err := variable(rest[i+2 : i+2+j]); err != nil {
			return err
		}
		rest = rest[i+2+j+2:]
	}
}

func knownVariable(name string) bool {
	switch name {
	case VarAccountID, VarSessionName, VarSessionNameRaw, VarAccessKeyID, VarEC2PrivateDNSName:
		return true
	}
	return false
}

func knownList() string {
	vs := TemplateVariables()
	for i, v := range vs {
		vs[i] = "{{" + v + "}}"
	}
	return strings.Join(vs, ", ")
}

func (v Vars) value(name string) (string, error) {
	var val string
	switch name {
	case VarAccountID:
		val = v.AccountID
	case VarSessionName, VarSessionNameRaw:
		if v.SessionName == "" {
			return "", fmt.Errorf("{{%s}}: %w", name, ErrNoSessionName)
		}
		val = v.SessionName
		if name == VarSessionName {
			val = strings.ReplaceAll(val, "@", "-")
		}
	case VarAccessKeyID:
		val = v.AccessKeyID
	case VarEC2PrivateDNSName:
		if v.EC2PrivateDNSName == nil {
			return "", ErrEC2DNSUnavailable
		}
		var err error
		if val, err = v.EC2PrivateDNSName(); err != nil {
			return "", fmt.Errorf("{{%s}}: %w", name, err)
		}
	default:
		return "", fmt.Errorf("%w {{%s}} (known: %s)", ErrUnknownTemplate, name, knownList())
	}
	if val == "" {
		return "", fmt.Errorf("{{%s}}: %w", name, ErrEmptyVariable)
	}
	return val, nil
}

package access

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubeiam/kubeiam/internal/awsauth"
)

// Errors of checkTemplate, the cause of the InvalidParameterException.
var (
	ErrUnknownTemplate  = errors.New("unknown template variable")
	ErrUnclosedTemplate = errors.New("template opened with {{ but not closed with }}")
	ErrStrayTemplateEnd = errors.New("}} without an opening {{")
)

// checkTemplate refuses a username or group whose {{...}} templates the
// authenticator could not expand: an unknown variable ("x{{Foo}}"), a {{
// never closed ("{{SessionName"), or a }} never opened. Accepted, such an
// entry would fail every login of its principal instead of failing now.
// The variables are the aws-auth ones (awsauth.TemplateVariables), which
// access entries share.
func checkTemplate(s string) error {
	rest := s
	for {
		open := strings.Index(rest, "{{")
		if stray := strings.Index(rest, "}}"); stray >= 0 && (open < 0 || stray < open) {
			return ErrStrayTemplateEnd
		}
		if open < 0 {
			return nil
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			return ErrUnclosedTemplate
		}
		name := rest[open+2 : open+2+end]
		if known := awsauth.TemplateVariables(); !slices.Contains(known, name) {
			return fmt.Errorf("%w {{%s}}, use one of {{%s}}", ErrUnknownTemplate, name, strings.Join(known, "}}, {{"))
		}
		rest = rest[open+2+end+2:]
	}
}

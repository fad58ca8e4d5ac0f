package tokengen

import "github.com/kubeiam/kubeiam/internal/credsource"

// Source is where the credentials come from; see credsource.
type Source = credsource.Source

// SourceKind is a credsource.Kind.
type SourceKind = credsource.Kind

// The source kinds, in the SDK's order of precedence (see credsource).
const (
	SourceProfileFlag = credsource.ProfileFlag
	SourceEnv         = credsource.Env
	SourceWebIdentity = credsource.WebIdentity
	SourceProfile     = credsource.Profile
)

// Source returns where the credentials will come from (credsource.Detect).
func (o CredentialOptions) Source() Source { return credsource.Detect(o.Profile, o.Getenv) }

func firstEnv(getenv func(string) string, names ...string) string {
	return credsource.FirstEnv(getenv, names...)
}

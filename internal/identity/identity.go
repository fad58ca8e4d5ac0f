// Package identity holds the result of verifying a token: who the caller is
// according to STS. It is pure data shared by the verifier, the resolver and
// the webhooks.
package identity

import "github.com/kubeiam/kubeiam/internal/arn"

// Identity is a caller whose token STS has verified.
type Identity struct {
	// ARN is the caller's ARN exactly as STS returned it.
	ARN string
	// CanonicalARN is the ARN mappings match against (see arn.Principal.Canonical).
	CanonicalARN string
	// AccountID is the caller's AWS account.
	AccountID string
	// UserID is STS's UserId: "AIDA..." for a user, "AROA...:SESSION" for a role session.
	UserID string
	// SessionName is the role session name, empty for users.
	SessionName string
	// AccessKeyID is the access key that signed the token.
	AccessKeyID string
	// Principal is the parsed ARN.
	Principal arn.Principal
}

// Key returns the lookup key of the caller's principal.
func (i Identity) Key() string { return i.Principal.Key() }

// FromARN builds an Identity from a caller ARN and the other fields STS
// returns. It fails when the ARN is not a principal kubeiam accepts.
func FromARN(callerARN, account, userID, accessKeyID string) (Identity, error) {
	p, err := arn.Parse(callerARN)
	if err != nil {
		return Identity{}, err
	}
	return Identity{
		ARN:          callerARN,
		CanonicalARN: p.Canonical(),
		AccountID:    account,
		UserID:       userID,
		SessionName:  p.Session,
		AccessKeyID:  accessKeyID,
		Principal:    p,
	}, nil
}

package tokengen

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// forwardedSession assumes the role with the session name of the source
// credentials: GetCallerIdentity's UserId is "ROLEID:SESSION" for an
// assumed role (an SSO user's e-mail, say), as aws-iam-authenticator's
// --forward-session-name reads it. Credentials of an IAM user have no
// session; the fallback name is used then.
type forwardedSession struct {
	client   *sts.Client
	fallback string
	assume   func(session string) aws.CredentialsProvider
}

// Retrieve implements aws.CredentialsProvider.
func (f *forwardedSession) Retrieve(ctx context.Context) (aws.Credentials, error) {
	out, err := f.client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("reading the session name to forward (sts:GetCallerIdentity): %w", err)
	}
	session := f.fallback
	if _, name, ok := strings.Cut(aws.ToString(out.UserId), ":"); ok && name != "" {
		if !validIAMString(name, 2, 64, "") {
			return aws.Credentials{}, fmt.Errorf("%w %q (forwarded from %s): 2 to 64 letters, digits or +=,.@_-; pass --session-name instead",
				ErrSessionName, name, aws.ToString(out.Arn))
		}
		session = name
	}
	return f.assume(session).Retrieve(ctx)
}

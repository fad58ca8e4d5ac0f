// Package iamid looks up the unique ID of an IAM role or user ("AROA...",
// "AIDA...") with IAM GetRole and GetUser, through the AWS SDK. kubeiam
// records it when it creates an access entry, as EKS does, so that a
// principal deleted and recreated with the same ARN does not inherit the
// entry (EKS API reference, AccessEntry, principalArn).
package iamid

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kubeiam/kubeiam/internal/arn"
)

// Client asks IAM for principals' unique IDs. It is safe for concurrent use.
type Client struct {
	api *iam.Client
}

// New returns a Client with cfg's credentials and region; endpoint, when
// set, replaces IAM's (the local STS, which answers these calls for its
// identities).
func New(cfg aws.Config, endpoint string) *Client {
	return &Client{api: iam.NewFromConfig(cfg, func(o *iam.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// ErrNotFound is wrapped by PrincipalID's error when IAM says the
// principal does not exist (NoSuchEntity).
var ErrNotFound = errors.New("no such IAM principal")

// PrincipalID returns the unique ID of the IAM role or user principalARN
// names. The error wraps ErrNotFound when IAM says it does not exist, and
// is otherwise IAM's failure to answer (unreachable, throttled, access
// denied). The empty ID with no error means IAM cannot tell: GetRole and
// GetUser read the credentials' own account, so a principal of another
// account cannot be looked up.
func (c *Client) PrincipalID(ctx context.Context, principalARN string) (string, error) {
	p, err := arn.Parse(principalARN)
	if err != nil {
		return "", fmt.Errorf("principal ARN: %w", err)
	}
	var id, got string
	switch p.Kind {
	case arn.KindRole:
		out, err := c.api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
		if err != nil {
			return "", lookupError(err, "GetRole", principalARN)
		}
		id, got = aws.ToString(out.Role.RoleId), aws.ToString(out.Role.Arn)
	case arn.KindUser:
		out, err := c.api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(p.Name)})
		if err != nil {
			return "", lookupError(err, "GetUser", principalARN)
		}
		id, got = aws.ToString(out.User.UserId), aws.ToString(out.User.Arn)
	default:
		return "", fmt.Errorf("%s is not an IAM role or user", principalARN)
	}
	if k, err := arn.Key(got); err != nil || k != p.Key() {
		// The same name in the credentials' account: not the principal asked about.
		return "", nil
	}
	return id, nil
}

func lookupError(err error, op, principalARN string) error {
	var nse *types.NoSuchEntityException
	if errors.As(err, &nse) {
		return fmt.Errorf("%w: %s", ErrNotFound, principalARN)
	}
	return fmt.Errorf("IAM %s: %w", op, err)
}

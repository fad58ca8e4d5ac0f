package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/iamid"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// localIAMTimeout bounds one IAM call to the local STS.
const localIAMTimeout = 10 * time.Second

// LocalPrincipalIDs returns the IAM lookup of principals' unique IDs for a
// server whose AWS is the local STS at endpoint (dev mode, the lab and the
// end-to-end tests): the AWS SDK's IAM client, signing as the config's
// creator user, which the local STS answers GetRole and GetUser for.
func LocalPrincipalIDs(cfg *localsts.Config, endpoint string) (*iamid.Client, error) {
	for _, a := range cfg.Accounts {
		for _, u := range a.Users {
			if u.Name != localsts.DevCreatorUser || len(u.AccessKeys) == 0 {
				continue
			}
			k := u.AccessKeys[0]
			return iamid.New(aws.Config{
				Region:      DevRegion,
				Credentials: credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
				HTTPClient:  &http.Client{Timeout: localIAMTimeout},
			}, endpoint), nil
		}
	}
	return nil, fmt.Errorf("the local STS has no %s user with an access key to look up principal IDs with", localsts.DevCreatorUser)
}

package localsts

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkConfig is an AWS SDK config with static credentials and nothing read
// from the environment or shared files.
func sdkConfig(c aws.Credentials) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	}
}

func localClient(f *fixture, c aws.Credentials) *sts.Client {
	return sts.NewFromConfig(sdkConfig(c), func(o *sts.Options) { o.BaseEndpoint = aws.String(f.http.URL) })
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSDKAcceptance(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping AWS SDK acceptance test in -short mode")
	}
	ctx := context.Background()
	f := start(t, nil)
	developer, creator := creds(f.key(DevDeveloperUser)), creds(f.key(DevCreatorUser))

	t.Run("GetCallerIdentity", func(t *testing.T) {
		out, err := localClient(f, creator).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Arn) != "arn:aws:iam::111122223333:user/creator" || aws.ToString(out.Account) != DevAccount {
			t.Errorf("got %s %s", aws.ToString(out.Arn), aws.ToString(out.Account))
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		bad := developer
		bad.SecretAccessKey = creator.SecretAccessKey
		_, err := localClient(f, bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if apiCode(err) != CodeSignatureDoesNotMatch {
			t.Errorf("err = %v, want SignatureDoesNotMatch", err)
		}
	})
	t.Run("AssumeRole, then GetCallerIdentity with the session", func(t *testing.T) {
		out, err := localClient(f, developer).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(devRoleARN), RoleSessionName: aws.String("sdk-session"), DurationSeconds: aws.Int32(900)})
		if err != nil {
			t.Fatal(err)
		}
		want := "arn:aws:sts::111122223333:assumed-role/admin/sdk-session"
		if aws.ToString(out.AssumedRoleUser.Arn) != want {
			t.Errorf("AssumedRoleUser.Arn = %s", aws.ToString(out.AssumedRoleUser.Arn))
		}
		if out.Credentials.Expiration == nil || out.Credentials.Expiration.IsZero() {
			t.Errorf("no expiration")
		}
		sc := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
			SessionToken: *out.Credentials.SessionToken}
		who, err := localClient(f, sc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(who.Arn) != want || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
			t.Errorf("got %s %s", aws.ToString(who.Arn), aws.ToString(who.UserId))
		}
	})
	t.Run("untrusted AssumeRole", func(t *testing.T) {
		_, err := localClient(f, creator).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String("arn:aws:iam::111122223333:role" + DevSSORolePath + DevSSORole),
			RoleSessionName: aws.String("s1")})
		if apiCode(err) != CodeAccessDenied {
			t.Errorf("err = %v, want AccessDenied", err)
		}
	})
	t.Run("presigned GetCallerIdentity", func(t *testing.T) {
		presigned := sdkPresign(t, developer, "demo")
		if !strings.HasPrefix(presigned, "https://sts.us-east-1.amazonaws.com/?") {
			t.Fatalf("presigned URL %q is not for sts.us-east-1.amazonaws.com", presigned)
		}
		if _, body := f.sendPresigned(t, presigned, "demo"); callerARN(body) != "arn:aws:iam::111122223333:user/developer" {
			t.Errorf("with x-k8s-aws-id demo: %v", body)
		}
		if _, body := f.sendPresigned(t, presigned, "other"); errorCode(body) != CodeSignatureDoesNotMatch {
			t.Errorf("with x-k8s-aws-id other: %v, want SignatureDoesNotMatch", body)
		}
	})
}

// sdkPresign presigns GetCallerIdentity the way aws-iam-authenticator
// does: the SDK's presign client with x-k8s-aws-id and X-Amz-Expires added
// as headers, which the signer signs and hoists.
func sdkPresign(t *testing.T, c aws.Credentials, clusterID string) string {
	t.Helper()
	client := sts.NewPresignClient(sts.NewFromConfig(sdkConfig(c)))
	req, err := client.PresignGetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, sts.WithAPIOptions(
			smithyhttp.AddHeaderValue("x-k8s-aws-id", clusterID),
			smithyhttp.AddHeaderValue("X-Amz-Expires", "60"),
		))
	})
	if err != nil {
		t.Fatal(err)
	}
	if req.SignedHeader.Get("x-k8s-aws-id") != clusterID {
		t.Fatalf("x-k8s-aws-id not among the signed headers: %v", req.SignedHeader)
	}
	return req.URL
}

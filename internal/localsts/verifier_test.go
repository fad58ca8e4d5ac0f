package localsts

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kubeiam/kubeiam/internal/sts"
	"github.com/kubeiam/kubeiam/internal/token"
)

// TestVerifierAgainstLocalSTS runs real tokens through the project's own
// Verifier with this server standing in for STS: the verifier sends the
// presigned request here while keeping the AWS host as Host.
func TestVerifierAgainstLocalSTS(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping verifier integration test in -short mode")
	}
	f := start(t, nil)
	developer := f.key(DevDeveloperUser)
	verifier := func(t *testing.T, clusterID string) *sts.Verifier {
		t.Helper()
		v, err := sts.NewVerifier(sts.VerifierConfig{ClusterID: clusterID, Endpoint: f.http.URL})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("AWS SDK token", func(t *testing.T) {
		tok := token.Encode(sdkPresign(t, creds(developer), "demo"))
		id, err := verifier(t, "demo").Verify(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if id.ARN != "arn:aws:iam::111122223333:user/developer" || id.AccessKeyID != developer.AccessKeyID {
			t.Errorf("identity = %+v", id)
		}
		if _, err := verifier(t, "other").Verify(context.Background(), tok); !errors.Is(err, sts.ErrRejected) {
			t.Errorf("token for cluster demo, verified for cluster other: err = %v, want ErrRejected", err)
		}
	})

	t.Run("aws eks get-token", func(t *testing.T) {
		c := newCLI(t)
		tok := token.Encode(eksGetToken(t, c, developer))
		id, err := verifier(t, "demo").Verify(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if id.ARN != "arn:aws:iam::111122223333:user/developer" {
			t.Errorf("identity = %+v", id)
		}
		if _, err := verifier(t, "other").Verify(context.Background(), tok); !errors.Is(err, sts.ErrRejected) {
			t.Errorf("token for cluster demo, verified for cluster other: err = %v, want ErrRejected", err)
		}
	})

	t.Run("aws eks get-token with an Identity Center session", func(t *testing.T) {
		c := newCLI(t)
		sso := "arn:aws:iam::111122223333:role" + DevSSORolePath + DevSSORole
		out, stderr, ok := c.run(developer.AccessKeyID, developer.SecretAccessKey, "", "sts", "assume-role",
			"--role-arn", sso, "--role-session-name", "alice@example.com",
			"--endpoint-url", f.http.URL, "--region", "us-east-1", "--output", "json")
		if !ok {
			t.Fatalf("assume-role failed: %s", stderr)
		}
		var assumed struct {
			Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		}
		if err := json.Unmarshal([]byte(out), &assumed); err != nil {
			t.Fatal(err)
		}
		cr := assumed.Credentials
		out, stderr, ok = c.run(cr.AccessKeyId, cr.SecretAccessKey, cr.SessionToken,
			"eks", "get-token", "--cluster-name", "demo", "--region", "us-east-1", "--output", "json")
		if !ok {
			t.Fatalf("eks get-token failed: %s", stderr)
		}
		var cred struct {
			Status struct{ Token string } `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &cred); err != nil {
			t.Fatal(err)
		}
		id, err := verifier(t, "demo").Verify(context.Background(), cred.Status.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := "arn:aws:sts::111122223333:assumed-role/" + DevSSORole + "/alice@example.com"
		if id.ARN != want || id.CanonicalARN != "arn:aws:iam::111122223333:role/"+DevSSORole || id.SessionName != "alice@example.com" {
			t.Errorf("identity = %+v, want %s", id, want)
		}
	})

	t.Run("session token of an expired or unknown session", func(t *testing.T) {
		bogus := aws.Credentials{AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", SecretAccessKey: developer.SecretAccessKey, SessionToken: "x"}
		tok := token.Encode(sdkPresign(t, bogus, "demo"))
		if _, err := verifier(t, "demo").Verify(context.Background(), tok); !errors.Is(err, sts.ErrRejected) {
			t.Errorf("unknown session: err = %v, want ErrRejected", err)
		}
	})
}

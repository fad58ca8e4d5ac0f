package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/token/tokentest"
)

// Scenario 9: a token minted by the real AWS CLI v2 ("aws eks get-token")
// authenticates through kube-apiserver; the same token's siblings for
// another cluster, tampered with, or expired, are refused.
func TestAWSCLITokens(t *testing.T) {
	c := cluster(t)
	good := awsGetToken(t, c, c.ClusterID)

	t.Run("valid", func(t *testing.T) {
		r := mustSucceed(t, kubectl(t, c, "", c.BareKubeconfig, "--token", good, "get", "svc"))
		if !kubernetesService.MatchString(r.Stdout) || r.Stderr != "" {
			t.Errorf("kubectl --token get svc:\nstdout %q\nstderr %q\nwant stdout matching %s", r.Stdout, r.Stderr, kubernetesService)
		}
		d := decisionFor(t, c, good)
		if d.Decision != decisionlog.Granted || d.Username != "kubernetes-admin" {
			t.Errorf("decision %s as %q (%s), want granted as kubernetes-admin", d.Decision, d.Username, d.Error)
		}
	})

	creator, _ := c.Profile(localsts.DevCreatorUser)
	refused := []struct {
		name  string
		token string
		// reason is a substring of kubeiam's recorded denial.
		reason string
	}{{
		// Signed for "another-cluster": kubeiam sends it to STS with its own
		// x-k8s-aws-id, so the signature no longer matches.
		name:   "another cluster",
		token:  awsGetToken(t, c, "another-cluster"),
		reason: "SignatureDoesNotMatch",
	}, {
		name:   "tampered signature",
		token:  tamper(t, good),
		reason: "SignatureDoesNotMatch",
	}, {
		// Minted with the AWS SDK's signer 20 minutes ago: beyond the 15
		// minutes a presigned GetCallerIdentity stays valid.
		name: "expired",
		token: tokentest.Token(t, tokentest.Options{
			Host: "sts." + harness.Region + ".amazonaws.com", Region: harness.Region, ClusterID: c.ClusterID,
			AccessKeyID: creator.AccessKeyID, SecretAccessKey: creator.SecretAccessKey,
			SignedAt: time.Now().Add(-20 * time.Minute),
		}),
		reason: "token expired",
	}}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := kubectl(t, c, "", c.BareKubeconfig, "--token", tc.token, "get", "svc")
			if r.Code != 1 || r.Stdout != "" || r.Stderr != unauthorized {
				t.Errorf("kubectl --token get svc: exit %d\nstdout %q\nstderr %q\nwant exit 1 and stderr %q", r.Code, r.Stdout, r.Stderr, unauthorized)
			}
			d := decisionFor(t, c, tc.token)
			if d.Decision != decisionlog.Denied || !strings.Contains(d.Error, tc.reason) {
				t.Errorf("decision %s (%q), want denied mentioning %q", d.Decision, d.Error, tc.reason)
			}
		})
	}
}

// awsGetToken runs "aws eks get-token" as the creator and returns the token
// of the ExecCredential it prints.
func awsGetToken(t *testing.T, c *harness.Cluster, clusterName string) string {
	t.Helper()
	r := mustSucceed(t, run(t, c.Env(localsts.DevCreatorUser), awsPath, "eks", "get-token", "--cluster-name", clusterName, "--output", "json"))
	var cred struct {
		Kind   string `json:"kind"`
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &cred); err != nil {
		t.Fatalf("aws eks get-token printed no JSON: %v\n%s", err, r.Stdout)
	}
	if cred.Kind != "ExecCredential" || !strings.HasPrefix(cred.Status.Token, token.Prefix) {
		t.Fatalf("aws eks get-token printed no ExecCredential with a %s token:\n%s", token.Prefix, r.Stdout)
	}
	return cred.Status.Token
}

// tamper changes one hex digit of the token's X-Amz-Signature: the token
// still decodes and passes every local check, so only STS can refuse it.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	raw, err := token.Decode(tok)
	if err != nil {
		t.Fatalf("decode token: %v", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse token URL: %v", err)
	}
	q := u.Query()
	sig := []byte(q.Get("X-Amz-Signature"))
	if len(sig) == 0 {
		t.Fatalf("token URL has no X-Amz-Signature: %s", raw)
	}
	if sig[0] == '0' {
		sig[0] = '1'
	} else {
		sig[0] = '0'
	}
	q.Set("X-Amz-Signature", string(sig))
	u.RawQuery = q.Encode()
	return token.Encode(u.String())
}

// decisionFor returns kubeiam's latest decision on tok, found by the
// token's fingerprint (kubeiam never records tokens themselves).
func decisionFor(t *testing.T, c *harness.Cluster, tok string) decisionlog.Record {
	t.Helper()
	fp := token.Fingerprint(tok)
	recs := c.Kubeiam.Decisions().Query(decisionlog.Filter{}, 0)
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].TokenHash == fp {
			t.Logf("kubeiam decision on %s: %s %s %q", fp, recs[i].Decision, recs[i].ARN, recs[i].Error)
			return recs[i]
		}
	}
	t.Fatalf("kubeiam recorded no decision for the token %s", fp)
	return decisionlog.Record{}
}

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
)

// Issue 10, item 3: the management API and the cluster take tokens of
// different audiences. A kubectl (cluster) token is refused by the API; an
// API token is refused by kube-apiserver; the CLI's commands mint the
// right one and work. Read-only on the shared cluster, so shuffle-safe.
func TestTokenAudiencesAreSeparate(t *testing.T) {
	c := cluster(t)
	mint := func(audience string) string {
		r := mustSucceed(t, run(t, c.Env(localsts.DevCreatorUser), kubeiamBinary(),
			"token", "-i", c.ClusterID, "--audience", audience, "--token-only", "--no-cache"))
		return strings.TrimSpace(r.Stdout)
	}
	clusterToken, apiToken := mint("cluster"), mint("api")

	t.Run("the CLI's commands work", func(t *testing.T) {
		r := mustSucceed(t, kubeiamCLI(t, c, localsts.DevCreatorUser, "cluster", "describe", "-o", "json"))
		if !strings.Contains(r.Stdout, c.ClusterID) {
			t.Errorf("cluster describe printed %q, want the cluster %s", r.Stdout, c.ClusterID)
		}
	})
	t.Run("kubectl's token is refused by the API", func(t *testing.T) {
		status, errType, body := describeWithBearer(t, c, clusterToken)
		if status != http.StatusForbidden || errType != "UnrecognizedClientException" || !strings.Contains(body, "kubeiam token --audience api") {
			t.Errorf("DescribeCluster with a cluster token: %d %s %s, want 403 UnrecognizedClientException naming the API token", status, errType, body)
		}
	})
	t.Run("the API token works at the API", func(t *testing.T) {
		if status, errType, body := describeWithBearer(t, c, apiToken); status != http.StatusOK {
			t.Errorf("DescribeCluster with an API token: %d %s %s", status, errType, body)
		}
	})
	t.Run("the API token is refused by kube-apiserver", func(t *testing.T) {
		r := kubectl(t, c, "", c.BareKubeconfig, "--token", apiToken, "get", "svc")
		// Without cached discovery kubectl words the 401 as "the server has
		// asked for the client to provide credentials"; either way it is
		// "You must be logged in", and the decision below says why.
		if r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, "error: You must be logged in to the server") {
			t.Errorf("kubectl --token API-TOKEN get svc: exit %d\nstdout %q\nstderr %q\nwant exit 1, refused", r.Code, r.Stdout, r.Stderr)
		}
		d := decisionFor(t, c, apiToken)
		if d.Decision != decisionlog.Denied || !strings.Contains(d.Error, "access-management API") {
			t.Errorf("decision %s (%q), want denied as a token for the access-management API", d.Decision, d.Error)
		}
	})
	t.Run("kubectl's token still works at kube-apiserver", func(t *testing.T) {
		r := mustSucceed(t, kubectl(t, c, "", c.BareKubeconfig, "--token", clusterToken, "get", "svc"))
		if !kubernetesService.MatchString(r.Stdout) {
			t.Errorf("kubectl --token get svc printed %q", r.Stdout)
		}
	})
}

// describeWithBearer calls DescribeCluster on kubeiam's API over TLS with
// "Authorization: Bearer tok" and returns the status, error type and body.
func describeWithBearer(t *testing.T, c *harness.Cluster, tok string) (int, string, string) {
	t.Helper()
	pem, err := os.ReadFile(c.Kubeiam.Bundle().CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate in the bundle")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequest(http.MethodGet, c.Kubeiam.URL("/clusters/"+c.ClusterID), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(body)
}

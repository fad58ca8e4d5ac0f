package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kubeiam/kubeiam/internal/lab/harness"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/token"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// target is one kubeiam server process under load: its webhook client
// (kube-apiserver's client certificate) and the tokens it is sent.
type target struct {
	name   string
	url    string // .../authenticate
	client *http.Client
	tokens [][]byte // TokenReview request bodies
}

// tokensPerTarget are distinct warm tokens, as distinct kubectl users.
const tokensPerTarget = 64

// newTarget moves the cluster to API_AND_CONFIG_MAP (once, through the
// kubernetes store), maps the developer through an access entry with
// AmazonEKSViewPolicy on the server's own store, and mints its tokens.
func newTarget(ctx context.Context, h *harness.HA, r *harness.Replica) (*target, error) {
	creator, _ := h.Profile(localsts.DevCreatorUser)
	dev, ok := h.Profile(localsts.DevDeveloperUser)
	if !ok {
		return nil, fmt.Errorf("no developer profile")
	}
	api, err := r.HTTPClient()
	if err != nil {
		return nil, err
	}
	defer api.CloseIdleConnections()
	bearer, err := mint(ctx, h, creator, token.AudienceAPI)
	if err != nil {
		return nil, err
	}
	base := r.URL + "/clusters/" + h.ClusterID
	calls := []struct {
		path string
		body any
		ok   func(int, string) bool
	}{
		{"/update-config", map[string]any{"accessConfig": map[string]string{"authenticationMode": "API_AND_CONFIG_MAP"}},
			// The kubernetes store's cluster may have moved already.
			func(status int, body string) bool {
				return status == http.StatusOK || strings.Contains(body, "API_AND_CONFIG_MAP")
			}},
		{"/access-entries", map[string]any{"principalArn": dev.ARN}, nil},
		{"/access-entries/" + url.PathEscape(dev.ARN) + "/access-policies", map[string]any{
			"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy", "accessScope": map[string]any{"type": "cluster"}}, nil},
	}
	for _, c := range calls {
		status, body, err := post(ctx, api, base+c.path, bearer, c.body)
		if err != nil {
			return nil, err
		}
		if ok := c.ok; (ok == nil && status != http.StatusOK) || (ok != nil && !ok(status, body)) {
			return nil, fmt.Errorf("POST %s: %d %s", c.path, status, body)
		}
	}
	client, err := webhookClient(r)
	if err != nil {
		return nil, err
	}
	t := &target{name: r.Store, url: r.URL + "/authenticate", client: client}
	for i := 0; i < tokensPerTarget; i++ {
		tok, err := mint(ctx, h, dev, token.AudienceCluster)
		if err != nil {
			return nil, err
		}
		t.tokens = append(t.tokens, reviewBody(tok))
	}
	// One pass verifies every token with STS and caches its identity;
	// it also waits out the kubernetes store's watch delivering the entry.
	deadline := time.Now().Add(time.Minute)
	for _, body := range t.tokens {
		for {
			err := t.review(ctx, body)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("prewarm: %w", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return t, nil
}

func (t *target) close() { t.client.CloseIdleConnections() }

// review sends one TokenReview and checks that it authenticated the
// developer with the access entry's groups.
func (t *target) review(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(out, []byte(`"authenticated":true`)) {
		return fmt.Errorf("%s: %d %s", t.name, resp.StatusCode, out)
	}
	return nil
}

func reviewBody(tok string) []byte {
	return []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"` + tok + `"}}`)
}

func mint(ctx context.Context, h *harness.HA, p harness.AWSProfile, aud token.Audience) (string, error) {
	tok, err := tokengen.Generate(ctx, credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, ""),
		tokengen.Options{ClusterID: h.ClusterID, Region: harness.Region, Audience: aud, Now: time.Now})
	if err != nil {
		return "", err
	}
	return tok.Value, nil
}

func post(ctx context.Context, client *http.Client, url, bearer string, body any) (int, string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out), err
}

// webhookClient is kube-apiserver's side of the webhook: the serving CA and
// the client certificate "kubeiam init" issued, connections kept alive.
func webhookClient(r *harness.Replica) (*http.Client, error) {
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no CA certificate in %s", r.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(r.ClientCertFile, r.ClientKeyFile)
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 256,
	}}, nil
}

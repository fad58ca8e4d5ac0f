package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"
)

// tokenReusedMessage is kubeiam's message for a clientRequestToken sent
// with a different request (access.ErrTokenReused).
const tokenReusedMessage = "The clientRequestToken was already used with a different request"

// TestSDKRetryAfterLostAnswer: the SDK resends a request whose answer was
// lost with the same clientRequestToken (it fills one in when the caller
// gives none: the EKS model marks it an idempotency token). The API did
// the request the first time; the retry must get its result, not a
// ResourceInUseException, and write nothing.
func TestSDKRetryAfterLostAnswer(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	// lose answers the first request of each operation named in it: the
	// API handles it, the client gets a retryable 503 instead.
	var mu sync.Mutex
	lose := map[string]bool{"POST /clusters/" + testCluster + "/access-entries": true, "POST " + entryPath(developerARN): true}
	var tokens []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var sent struct {
			ClientRequestToken string `json:"clientRequestToken"`
		}
		_ = json.Unmarshal(body, &sent)
		mu.Lock()
		tokens = append(tokens, sent.ClientRequestToken)
		key := r.Method + " " + r.URL.EscapedPath()
		lost := lose[key]
		delete(lose, key)
		mu.Unlock()
		if !lost {
			mountTogether(f.api, f.sts).ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		f.api.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: the first attempt failed: %d %s", key, rec.Code, rec.Body)
		}
		w.Header().Set("X-Amzn-ErrorType", TypeServiceUnavailable)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"message":"the answer was lost"}`))
	}))
	t.Cleanup(proxy.Close)
	creds := f.creds("creator")
	c := eks.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:  &http.Client{},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}, func(o *eks.Options) {
		o.BaseEndpoint = aws.String(proxy.URL)
	})
	ctx := context.Background()

	gen := f.store.Generation()
	created, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String(testCluster),
		PrincipalArn: aws.String(developerARN), KubernetesGroups: []string{"devs"}})
	if err != nil {
		t.Fatalf("CreateAccessEntry, answer lost once: %v", err)
	}
	if !reflect.DeepEqual(created.AccessEntry.KubernetesGroups, []string{"devs"}) || f.store.Generation() != gen+1 {
		t.Errorf("created %+v with %d writes, want one", created.AccessEntry, f.store.Generation()-gen)
	}

	gen = f.store.Generation()
	updated, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String(testCluster),
		PrincipalArn: aws.String(developerARN), KubernetesGroups: []string{"ops"}})
	if err != nil {
		t.Fatalf("UpdateAccessEntry, answer lost once: %v", err)
	}
	if !reflect.DeepEqual(updated.AccessEntry.KubernetesGroups, []string{"ops"}) || f.store.Generation() != gen+1 {
		t.Errorf("updated %+v with %d writes, want one", updated.AccessEntry, f.store.Generation()-gen)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tokens) != 4 || tokens[0] == "" || tokens[0] != tokens[1] || tokens[2] == "" || tokens[2] != tokens[3] || tokens[0] == tokens[2] {
		t.Errorf("clientRequestTokens sent %q: want one per call, the same on its retry", tokens)
	}
}

// TestSDKOneTokenRacingRequests: different CreateAccessEntry requests
// racing with one clientRequestToken, through the SDK: exactly one makes
// its entry, the others get InvalidRequestException; and UpdateAccessEntry
// honours the token as CreateAccessEntry does.
func TestSDKOneTokenRacingRequests(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	c := f.client(f.creds("creator"))
	ctx := context.Background()
	name := aws.String(testCluster)

	const callers = 6
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &eks.CreateAccessEntryInput{ClusterName: name, ClientRequestToken: aws.String("one-token"),
				PrincipalArn: aws.String(fmt.Sprintf("arn:aws:iam::111122223333:role/racer-%d", i))}
			<-start
			_, errs[i] = c.CreateAccessEntry(ctx, in)
		}()
	}
	close(start)
	wg.Wait()
	var won atomic.Int32
	for i, err := range errs {
		if err == nil {
			won.Add(1)
			continue
		}
		var ae smithy.APIError
		if code := apiErrorCode(t, err); code != TypeInvalidRequest || !errors.As(err, &ae) || !strings.HasPrefix(ae.ErrorMessage(), tokenReusedMessage) {
			t.Errorf("caller %d: %v, want InvalidRequestException: %s", i, err, tokenReusedMessage)
		}
	}
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: name})
	if won.Load() != 1 || err != nil || len(list.AccessEntries) != 1 {
		t.Fatalf("%d callers won; entries %v, %v", won.Load(), list.AccessEntries, err)
	}

	dev := aws.String(developerARN)
	if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: dev}); err != nil {
		t.Fatal(err)
	}
	update := &eks.UpdateAccessEntryInput{ClusterName: name, PrincipalArn: dev, KubernetesGroups: []string{"a"}, ClientRequestToken: aws.String("u-1")}
	first, err := c.UpdateAccessEntry(ctx, update)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.UpdateAccessEntry(ctx, update)
	if err != nil || !reflect.DeepEqual(again.AccessEntry, first.AccessEntry) {
		t.Errorf("UpdateAccessEntry sent again = %+v, %v; want %+v", again, err, first.AccessEntry)
	}
	_, err = c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: name, PrincipalArn: dev, KubernetesGroups: []string{"b"}, ClientRequestToken: aws.String("u-1")})
	var invalid *types.InvalidRequestException
	if !errors.As(err, &invalid) {
		t.Errorf("UpdateAccessEntry, the token with other groups: %v, want InvalidRequestException", err)
	}
	_, err = c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: name, PrincipalArn: dev, ClientRequestToken: aws.String(strings.Repeat("x", 129))})
	if code := apiErrorCode(t, err); code != TypeInvalidParameter {
		t.Errorf("a 129-character token: %v, want InvalidParameterException", err)
	}
}

// TestTokensWhereEKSTakesThem: the operations whose request has a
// clientRequestToken are exactly those whose input in the EKS service model
// (testdata/awscli-models, botocore's) has one, marked idempotencyToken,
// which the SDKs fill in: CreateAccessEntry, UpdateAccessEntry and
// UpdateClusterConfig; not AssociateAccessPolicy nor any other.
func TestTokensWhereEKSTakesThem(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "awscli-models", "eks", "2017-11-01", "service-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		Operations map[string]struct {
			Input struct{ Shape string } `json:"input"`
		} `json:"operations"`
		Shapes map[string]struct {
			Members map[string]struct {
				IdempotencyToken bool `json:"idempotencyToken"`
			} `json:"members"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &model); err != nil {
		t.Fatal(err)
	}
	// The request body types; the operations not listed have none.
	bodies := map[string]any{
		OpCreateAccessEntry: createEntryRequest{}, OpUpdateAccessEntry: updateEntryRequest{},
		OpUpdateClusterConfig: updateConfigRequest{}, OpAssociateAccessPolicy: associateRequest{},
	}
	var withToken []string
	for _, p := range newRoutes() {
		for _, op := range p.methods {
			m, ok := model.Operations[op.name]
			if !ok {
				t.Errorf("%s is not in the EKS model", op.name)
				continue
			}
			member, modelled := model.Shapes[m.Input.Shape].Members["clientRequestToken"]
			served := false
			if body, ok := bodies[op.name]; ok {
				_, served = reflect.TypeOf(body).FieldByName("ClientRequestToken")
			}
			if modelled != served || modelled && !member.IdempotencyToken {
				t.Errorf("%s: clientRequestToken in the EKS model %v (idempotency token %v), in kubeiam's request %v", op.name, modelled, member.IdempotencyToken, served)
			}
			if served {
				withToken = append(withToken, op.name)
			}
		}
	}
	sort.Strings(withToken)
	if want := []string{OpCreateAccessEntry, OpUpdateAccessEntry, OpUpdateClusterConfig}; !reflect.DeepEqual(withToken, want) {
		t.Errorf("operations with a token %v, want %v", withToken, want)
	}
}

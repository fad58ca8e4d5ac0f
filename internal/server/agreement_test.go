package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"

	"github.com/kubeiam/kubeiam/internal/diag"
	"github.com/kubeiam/kubeiam/internal/explain"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/tokengen"
)

// Explain answers from exactly the state that authenticates the next
// request: after each change of an input (aws-auth file, mode, access
// entry, access policy association), explain is asked first, with no
// other request in between, and must agree with a real TokenReview and
// SubjectAccessReview sent right after it.
func TestExplainAgreesWithTheServerAfterEveryChange(t *testing.T) {
	d := startDev(t)
	dev := devARN("user/" + localsts.DevDeveloperUser)
	pods := &explain.Request{Verb: "get", Resource: "pods", Namespace: "default"}

	d.agree(t, "start", dev, pods, false)

	d.writeAWSAuth(t, "mapUsers: |\n  - userarn: "+dev+"\n    username: dev-from-aws-auth\n    groups: [devs]\n")
	d.agree(t, "aws-auth file maps the developer", dev, pods, true)

	d.api(t, http.MethodPost, "/clusters/"+DevClusterID+"/update-config", `{"accessConfig":{"authenticationMode":"API_AND_CONFIG_MAP"}}`)
	d.agree(t, "mode API_AND_CONFIG_MAP", dev, pods, true)

	d.api(t, http.MethodPost, "/clusters/"+DevClusterID+"/access-entries", `{"principalArn":"`+dev+`","username":"dev-from-entry"}`)
	if r := d.agree(t, "access entry created", dev, pods, true); r.Username != "dev-from-entry" {
		t.Errorf("after the access entry was created, explain says username %q, want dev-from-entry", r.Username)
	}

	d.api(t, http.MethodPost, "/clusters/"+DevClusterID+"/access-entries/"+url.PathEscape(dev)+"/access-policies",
		`{"policyArn":"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy","accessScope":{"type":"cluster"}}`)
	if r := d.agree(t, "view policy associated", dev, pods, true); r.Verdict != explain.VerdictAllowed {
		t.Errorf("after the view policy was associated, explain's verdict is %s (%s), want allowed", r.Verdict, r.Code)
	}

	d.api(t, http.MethodPost, "/clusters/"+DevClusterID+"/update-config", `{"accessConfig":{"authenticationMode":"API"}}`)
	d.agree(t, "mode API", dev, pods, true)

	d.api(t, http.MethodDelete, "/clusters/"+DevClusterID+"/access-entries/"+url.PathEscape(dev), "")
	if r := d.agree(t, "access entry deleted in API mode", dev, pods, false); r.Code != explain.CodeAWSAuthIgnoredAPI {
		t.Errorf("mapped only in aws-auth while the mode is API: explain code %s, want %s", r.Code, explain.CodeAWSAuthIgnoredAPI)
	}
}

// agree asks explain first, then the webhooks, and fails the test when
// they disagree or when the outcome is not wantMapped.
func (d *devServer) agree(t *testing.T, step, arnText string, q *explain.Request, wantMapped bool) explain.Report {
	t.Helper()
	r := d.explain(t, arnText, q)
	tr := d.review(t, d.token(t, localsts.DevDeveloperUser))
	st := tr.Status
	if r.Mapped != st.Authenticated || (st.Authenticated && r.Username != st.User.Username) {
		t.Fatalf("%s: explain says mapped=%v username %q (%s %s); TokenReview says authenticated=%v username %q error %q",
			step, r.Mapped, r.Username, r.Code, r.Reason, st.Authenticated, st.User.Username, st.Error)
	}
	if r.Mapped != wantMapped {
		t.Fatalf("%s: explain and TokenReview agree on mapped=%v, want %v", step, r.Mapped, wantMapped)
	}
	if !st.Authenticated || q == nil {
		return r
	}
	sar := d.authorize(t, st.User, q)
	byPolicy := r.Request != nil && r.Request.Allowed && r.Request.AllowedBy == "accessPolicy"
	if byPolicy != sar.Status.Allowed {
		t.Fatalf("%s: explain says allowed by an access policy=%v (%+v); SubjectAccessReview says allowed=%v (%s)",
			step, byPolicy, r.Request, sar.Status.Allowed, sar.Status.Reason)
	}
	return r
}

// explain asks POST /kubeiam/v1/explain as the cluster creator, signed
// with SigV4 as the AWS CLI signs EKS calls.
func (d *devServer) explain(t *testing.T, arnText string, q *explain.Request) explain.Report {
	t.Helper()
	body := map[string]any{"arn": arnText}
	if q != nil {
		body["verb"], body["resource"], body["namespace"] = q.Verb, q.Resource, q.Namespace
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var r explain.Report
	d.signed(t, http.MethodPost, d.env["KUBEIAM_WEBHOOK"]+"/kubeiam/v1/explain", string(b), &r)
	return r
}

// api calls the access-management API as the cluster creator.
func (d *devServer) api(t *testing.T, method, path, body string) {
	t.Helper()
	d.signed(t, method, d.env["KUBEIAM_AWS_ENDPOINT"]+path, body, nil)
}

func (d *devServer) signed(t *testing.T, method, target, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), d.creds(t, localsts.DevCreatorUser), req, hex.EncodeToString(sum[:]), "eks", DevRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: HTTP %d: %s", method, target, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, target, err, raw)
		}
	}
}

// authorize sends the SubjectAccessReview kube-apiserver would send for
// the user a TokenReview returned.
func (d *devServer) authorize(t *testing.T, u authnv1.UserInfo, q *explain.Request) authzv1.SubjectAccessReview {
	t.Helper()
	extra := map[string]authzv1.ExtraValue{}
	for k, v := range u.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	in := authzv1.SubjectAccessReview{
		Spec: authzv1.SubjectAccessReviewSpec{User: u.Username, UID: u.UID, Groups: u.Groups, Extra: extra,
			ResourceAttributes: &authzv1.ResourceAttributes{Verb: q.Verb, Resource: q.Resource, Namespace: q.Namespace, Group: q.APIGroup}},
	}
	in.APIVersion, in.Kind = "authorization.k8s.io/v1", "SubjectAccessReview"
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := d.client.Post(d.env["KUBEIAM_WEBHOOK"]+"/authorize", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out authzv1.SubjectAccessReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeAWSAuth replaces the dev aws-auth file and waits until the server
// reports that version in force (through /readyz, which authenticates
// nobody and so reloads nothing).
func (d *devServer) writeAWSAuth(t *testing.T, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, "aws-auth.yaml"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	want := "version sha256:" + hex.EncodeToString(sum[:8])
	d.waitReadyz(t, want)
}

// waitReadyz waits until /readyz contains want.
func (d *devServer) waitReadyz(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := d.get(t, "/readyz")
		if strings.Contains(body, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never said %q: %s", want, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A rejected aws-auth edit that names the caller is the cause explain and
// whoami give, with the line and the error, and the fix points at the file
// the server watches.
func TestRejectedAWSAuthEditIsPartOfTheDiagnosis(t *testing.T) {
	d := startDev(t)
	dev := devARN("user/" + localsts.DevDeveloperUser)
	file := filepath.Join(d.dir, "aws-auth.yaml")

	r := d.explain(t, dev, nil)
	if len(r.Fixes) == 0 || !strings.Contains(r.Fixes[0].Kubeiam, "aws-auth add-user -f "+file+" ") {
		t.Fatalf("dev mode reads aws-auth from %s, but the first fix does not edit it: %+v", file, r.Fixes)
	}

	// Line 5 is the developer's; line 7 has an ARN that does not parse.
	bad := "mapUsers: |\n" +
		"  - userarn: arn:aws:iam::111122223333:user/creator\n" +
		"    username: creator\n" +
		"    groups: [admins]\n" +
		"  - userarn: " + dev + "\n" +
		"    username: developer\n" +
		"  - userarn: arn:aws:iam::not-an-account:user/broken\n"
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	d.waitReadyz(t, "latest input rejected")

	r = d.explain(t, dev, nil)
	if r.Code != explain.CodeAWSAuthRejected || !strings.Contains(r.Reason, "line 5") {
		t.Fatalf("explain: %s %q, want %s naming line 5", r.Code, r.Reason, explain.CodeAWSAuthRejected)
	}
	if len(r.Fixes) != 1 || r.Fixes[0].Kubeiam != "kubeiam aws-auth validate -f "+file {
		t.Errorf("fixes = %+v, want one: validate %s", r.Fixes, file)
	}
	w := d.whoami(t, d.token(t, localsts.DevDeveloperUser))
	if w.Authenticated || !strings.Contains(strings.Join(w.Notes, "\n"), "rejected that version") {
		t.Errorf("whoami does not say the version naming the caller was rejected: %+v", w)
	}
}

func (d *devServer) whoami(t *testing.T, tok string) diag.Whoami {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.env["KUBEIAM_WEBHOOK"]+diag.PathWhoami, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w diag.Whoami
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		t.Fatal(err)
	}
	return w
}

// A token minted for another cluster ID is reported as such by the
// TokenReview answer, whoami and the server log, with the command that
// mints one for this cluster.
func TestWrongClusterIDEverywhere(t *testing.T) {
	d := startDev(t)
	c := d.creds(t, localsts.DevDeveloperUser)
	tok, err := tokengen.Generate(context.Background(), credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		tokengen.Options{ClusterID: "another-cluster", Region: DevRegion, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	want := "kubeiam token --cluster-id " + DevClusterID
	if st := d.review(t, tok.Value).Status; st.Authenticated || !strings.Contains(st.Error, "token minted for another cluster ID") || !strings.Contains(st.Error, want) {
		t.Errorf("TokenReview error %q, want the wrong cluster ID and %q", st.Error, want)
	}
	if w := d.whoami(t, tok.Value); w.Code != "WRONG_CLUSTER_ID" || !strings.Contains(w.Reason, want) {
		t.Errorf("whoami = %s %q, want WRONG_CLUSTER_ID and %q", w.Code, w.Reason, want)
	}
	if log := d.log.String(); !strings.Contains(log, `msg="access denied"`) || !strings.Contains(log, "code=WRONG_CLUSTER_ID") {
		t.Errorf("server log lacks an access denied with code WRONG_CLUSTER_ID:\n%s", log)
	}
}

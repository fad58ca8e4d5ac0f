package authn

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/authn/authntest"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/decisionlog"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/resolve"
	"github.com/kubeiam/kubeiam/internal/testutil"
	"github.com/kubeiam/kubeiam/internal/token"
)

// records decodes the JSON log lines.
func logRecords(t *testing.T, s *testutil.SyncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// secretsOf returns the parts of a token that are credentials: the token,
// its payload, the presigned URL, its signature and its session token.
func secretsOf(t *testing.T, tok string) []string {
	t.Helper()
	text, err := token.Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{tok, strings.TrimPrefix(tok, token.Prefix), text, u.RawQuery, u.Query().Get("X-Amz-Signature")}
	if st := u.Query().Get("X-Amz-Security-Token"); st != "" {
		out = append(out, st, url.QueryEscape(st))
	}
	return out
}

func TestAuthenticateLogsDecisionsWithoutTheToken(t *testing.T) {
	e := newEnv(t, 0)
	session := e.sts.AssumeRole(t, localsts.DevDeveloperUser, authntest.AdminRoleARN, "alice")
	granted := e.sts.Token(t, session, authntest.ClusterID)
	e.mapper.Set(authntest.Snapshot(t, "API_AND_CONFIG_MAP", awsAuth))
	denied := e.userToken(t, localsts.DevCreatorUser) // no implicit creator outside CONFIG_MAP
	rejected := e.sts.Token(t, e.sts.UserCredentials(t, localsts.DevDeveloperUser), "other-cluster")

	outs := []Outcome{e.authenticate(granted), e.authenticate(granted), e.authenticate(denied), e.authenticate(rejected)}
	const garbage = "k8s-aws-v1.c3VwZXItc2VjcmV0LXZhbHVl.not-base64"
	e.authenticate(garbage)

	logText := e.logs.String()
	for _, tok := range []string{granted, denied, rejected} {
		for _, s := range secretsOf(t, tok) {
			if s != "" && strings.Contains(logText, s) {
				t.Errorf("log contains a credential (%.40s...):\n%s", s, logText)
			}
		}
	}
	if strings.Contains(logText, "c3VwZXItc2VjcmV0LXZhbHVl") {
		t.Errorf("log contains the malformed token's payload:\n%s", logText)
	}

	recs := logRecords(t, e.logs)
	if len(recs) != 5 {
		t.Fatalf("%d log records, want 5:\n%s", len(recs), logText)
	}
	sessionARN := "arn:aws:sts::111122223333:assumed-role/admin/alice"
	wantGranted := map[string]any{
		"level": "INFO", "msg": "access granted", "arn": sessionARN, "username": "admin:alice",
		"uid": outs[0].UID, "groups": []any{"admins", "acct-111122223333"}, "client": "10.0.0.7:41000",
		"method": "POST", "path": "/authenticate", "tokenHash": TokenHash(granted),
		"source": "mapRoles[0] (arn:aws:iam::111122223333:role/admin)", "cached": false,
		"accesskeyid": session.AccessKeyID,
	}
	checkLog(t, "granted", recs[0], wantGranted)
	wantGranted["cached"] = true
	checkLog(t, "granted from the cache", recs[1], wantGranted)
	checkLog(t, "denied", recs[2], map[string]any{
		"level": "INFO", "msg": "access denied", "arn": authntest.CreatorARN, "uid": outs[2].UID,
		"code": "ARN_NOT_MAPPED", "error": "ARN is not mapped", "tokenHash": TokenHash(denied),
		"client": "10.0.0.7:41000", "method": "POST", "path": "/authenticate",
	})
	checkLog(t, "rejected", recs[3], map[string]any{
		"msg": "access denied", "code": "WRONG_CLUSTER_ID", "tokenHash": TokenHash(rejected),
	})
	checkLog(t, "malformed", recs[4], map[string]any{
		"msg": "access denied", "code": "INVALID_TOKEN", "tokenHash": TokenHash(garbage),
		"error": "token is not unpadded base64url: character not in the base64url alphabet at offset 35",
	})
	if _, ok := recs[4]["arn"]; ok {
		t.Errorf("malformed token logged with an arn: %v", recs[4])
	}
	if outs[2].UID == "" || !strings.HasPrefix(outs[2].UID, "kubeiam:111122223333:") {
		t.Errorf("denied outcome UID = %q", outs[2].UID)
	}

	// The decision log has the same decisions, again without the token.
	got := e.log.Query(decisionlog.Filter{}, 0)
	if len(got) != 5 {
		t.Fatalf("decision log has %d records, want 5", len(got))
	}
	g := got[0]
	if g.Decision != decisionlog.Granted || g.Username != "admin:alice" || g.UID != outs[0].UID ||
		!slices.Equal(g.Groups, []string{"admins", "acct-111122223333"}) || g.Source != "mapRoles" ||
		g.ARN != sessionARN || g.CanonicalARN != authntest.AdminRoleARN || g.TokenHash != TokenHash(granted) ||
		g.Code != "MAPPED" || g.Cached || !g.Time.Equal(e.clock.Now()) || g.Client != "10.0.0.7:41000" {
		t.Errorf("granted record = %+v", g)
	}
	if !got[1].Cached {
		t.Errorf("second record not marked cached: %+v", got[1])
	}
	d := got[2]
	if d.Decision != decisionlog.Denied || d.Code != "ARN_NOT_MAPPED" || d.Error != "ARN is not mapped" ||
		d.ARN != authntest.CreatorARN || d.Username != "" || len(d.Notes) == 0 {
		t.Errorf("denied record = %+v", d)
	}
	if got[3].Code != "WRONG_CLUSTER_ID" || !strings.Contains(got[3].Error, "token minted for another cluster ID") || got[4].Code != "INVALID_TOKEN" {
		t.Errorf("failure codes = %s, %s", got[3].Code, got[4].Code)
	}
	raw, _ := json.Marshal(got)
	for _, tok := range []string{granted, denied, rejected, garbage} {
		if strings.Contains(string(raw), tok) {
			t.Errorf("decision log contains a token")
		}
	}
}

func checkLog(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if !ok || string(wj) != string(gj) {
			t.Errorf("%s log: %s = %s, want %s", what, k, gj, wj)
		}
	}
}

func TestAuthenticateGrantedRecordListsPolicies(t *testing.T) {
	e := newEnv(t, 0)
	entry := resolve.Entry{PrincipalARN: authntest.DeveloperARN, Username: "dev-entry", Type: "STANDARD",
		Grants: []authz.Grant{{PolicyARN: authz.ViewPolicyARN}}}
	e.mapper.Set(authntest.Snapshot(t, "API", nil, entry))
	e.authenticate(e.userToken(t, localsts.DevDeveloperUser))
	recs := e.log.Query(decisionlog.Filter{}, 0)
	if len(recs) != 1 || !slices.Equal(recs[0].Policies, []string{authz.ViewPolicyARN}) ||
		recs[0].Source != "accessEntry" {
		t.Errorf("records = %+v", recs)
	}
	if l := logRecords(t, e.logs); len(l) != 1 || l[0]["policies"] == nil {
		t.Errorf("log = %v, want the policies", l)
	}
}

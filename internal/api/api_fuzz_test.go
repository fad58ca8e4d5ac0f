package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/localsts"
	"github.com/kubeiam/kubeiam/internal/store"
	"github.com/kubeiam/kubeiam/internal/store/memory"
)

// fixedCaller authenticates every request as one identity: the fuzzer
// explores what an authenticated manager can make the API do, not the
// authentication, which has its own tests.
type fixedCaller struct{ id identity.Identity }

func (c fixedCaller) Authenticate(*http.Request) (identity.Identity, error) { return c.id, nil }

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch, http.MethodHead}

// FuzzAPIHandler sends random methods, paths and bodies to the whole
// management API as the cluster creator: no panic, no 5xx (the memory store
// cannot fail), and no STANDARD access entry with a reserved username or
// group is ever stored (issue 10 item 12).
func FuzzAPIHandler(f *testing.F) {
	const entries = "/clusters/" + testCluster + "/access-entries"
	const dev = "arn:aws:iam::111122223333:role/Dev"
	for _, s := range []struct {
		m    byte
		path string
		body string
	}{
		{1, entries, `{"principalArn":"` + dev + `","username":"dev","kubernetesGroups":["devs"]}`},
		{1, entries, `{"principalArn":"` + dev + `","username":"system:admin","kubernetesGroups":["system:masters"]}`},
		{1, entries, `{"principalArn":"arn:aws:iam::111122223333:user/u","type":"EC2_LINUX"}`},
		{1, entries + "/" + strings.ReplaceAll(dev, "/", "%2F"), `{"username":"eks:x","kubernetesGroups":["a"]}`},
		{1, entries + "/" + strings.ReplaceAll(dev, "/", "%2F") + "/access-policies", `{"policyArn":"` + adminPolicy + `","accessScope":{"type":"namespace","namespaces":["a"]}}`},
		{2, entries + "/" + strings.ReplaceAll(dev, "/", "%2F") + "/access-policies/" + strings.ReplaceAll(adminPolicy, "/", "%2F"), ``},
		{1, "/clusters/" + testCluster + "/update-config", `{"accessConfig":{"authenticationMode":"API_AND_CONFIG_MAP"}}`},
		{0, "/clusters/" + testCluster, ``},
		{0, entries, ``},
		{0, "/access-policies", ``},
		{2, entries + "/" + strings.ReplaceAll(dev, "/", "%2F"), ``},
	} {
		f.Add(s.m, s.path, []byte(s.body))
	}
	st, err := store.Open(memory.New())
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := st.PutCluster(access.ClusterConfig{
		Name: testCluster, Region: "us-east-1", AccountID: localsts.DevAccount, AuthenticationMode: access.ModeConfigMap,
		BootstrapClusterCreatorAdminPermissions: true, CreatorARN: creatorARN, CreatedAt: t0,
	}, 0); err != nil {
		f.Fatal(err)
	}
	caller, err := identity.FromARN(creatorARN, localsts.DevAccount, "AIDAEXAMPLE", "AKIAEXAMPLE")
	if err != nil {
		f.Fatal(err)
	}
	h, err := New(Config{Store: st, Authenticator: fixedCaller{caller}, CreatorARN: creatorARN,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Audit: io.Discard, Now: func() time.Time { return t0 }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, m byte, path string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") {
			return
		}
		req, err := http.NewRequest(fuzzMethods[int(m)%len(fuzzMethods)], "http://kubeiam.test"+path, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: HTTP %d: %s", req.Method, path, body, rec.Code, rec.Body)
		}
		snap, err := st.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range snap.Entries {
			if why := reservedInEntry(e); why != "" {
				t.Fatalf("%s %s %q stored %s", req.Method, path, body, why)
			}
		}
	})
}

// reservedInEntry returns what a STANDARD entry holds that EKS refuses:
// a username under a reserved prefix or a system: group, in any letter
// case. Node entry types get system:node: names and groups by design.
func reservedInEntry(e access.AccessEntry) string {
	if e.Type != "" && e.Type != access.EntryType("STANDARD") {
		return ""
	}
	u := strings.ToLower(e.Username)
	for _, p := range []string{"system:", "eks:", "aws:", "amazon:", "iam:"} {
		if strings.HasPrefix(u, p) {
			return "the username " + e.Username
		}
	}
	for _, g := range e.KubernetesGroups {
		if strings.HasPrefix(strings.ToLower(g), "system:") {
			return "the group " + g
		}
	}
	return ""
}

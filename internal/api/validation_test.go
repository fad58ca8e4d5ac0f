package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
)

// TestBadInputRefusedAtCreate: what the authenticator could never honour
// is refused at create and update time with EKS's
// InvalidParameterException, over HTTP, and nothing is stored (issue 10,
// item 7).
func TestBadInputRefusedAtCreate(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: access.ModeAPIAndConfigMap})
	creator := f.creds("creator")
	create := "/clusters/" + testCluster + "/access-entries"
	const dev = `"principalArn":"` + developerARN + `"`
	tests := []struct {
		name, body, message string
	}{
		{"System:admin username", `{` + dev + `,"username":"System:admin"}`, "must not begin with system:"},
		{"SYSTEM:node: username", `{` + dev + `,"username":"SYSTEM:node:x"}`, "must not begin with system:"},
		{"EKS: username", `{` + dev + `,"username":"EKS:x"}`, "must not begin with eks:"},
		{"eks: group", `{` + dev + `,"kubernetesGroups":["eks:admins"]}`, "cannot start with eks:"},
		{"aws: group", `{` + dev + `,"kubernetesGroups":["AWS:admins"]}`, "cannot start with aws:"},
		{"unknown template", `{` + dev + `,"username":"x{{Foo}}"}`, "unknown template variable {{Foo}}"},
		{"unclosed template", `{` + dev + `,"username":"{{SessionName"}`, "not closed"},
		{"control character", `{` + dev + `,"username":"alice\nadmin"}`, "control characters"},
		{"another partition", `{"principalArn":"arn:aws-cn:iam::111122223333:user/developer"}`, "partition aws-cn"},
		{"EKS service-linked role without its path", `{"principalArn":"arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEKS"}`, "Service Linked Role"},
		{"principalArn twice in letter cases", `{"principalArn":"` + developerARN + `","PRINCIPALARN":"` + adminRoleARN + `"}`, "differ only in letter case"},
		{"principalArn twice", `{"principalArn":"` + developerARN + `","principalArn":"` + adminRoleARN + `"}`, "more than once"},
		{"member in the wrong case", `{"PrincipalArn":"` + adminRoleARN + `"}`, `"PrincipalArn" is not a member of the request`},
		{"tag key twice", `{` + dev + `,"tags":{"team":"a","team":"b"}}`, `"tags.team" is given more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, &creator, http.MethodPost, create, tt.body)
			if r.status != http.StatusBadRequest || r.errType != "InvalidParameterException" || !strings.Contains(r.message(), tt.message) {
				t.Errorf("answer %d %s %q, want 400 InvalidParameterException mentioning %q", r.status, r.errType, r.message(), tt.message)
			}
			if entries, _, err := f.store.ListEntries(100, ""); err != nil || len(entries) != 0 {
				t.Fatalf("stored %v (err %v)", entries, err)
			}
		})
	}

	// The same rules hold for UpdateAccessEntry.
	if r := f.do(t, &creator, http.MethodPost, create, `{`+dev+`}`); r.status != http.StatusOK {
		t.Fatalf("create: %d %v", r.status, r.body)
	}
	for _, body := range []string{`{"username":"Eks:x"}`, `{"kubernetesGroups":["System:masters"]}`, `{"username":"{{Foo}}"}`,
		`{"username":"a","USERNAME":"system:admin"}`} {
		r := f.do(t, &creator, http.MethodPost, entryPath(developerARN), body)
		if r.status != http.StatusBadRequest || r.errType != "InvalidParameterException" {
			t.Errorf("update %s: %d %s %q, want 400 InvalidParameterException", body, r.status, r.errType, r.message())
		}
	}
	e, err := f.store.GetEntry(developerARN)
	if err != nil || e.Username != developerARN || len(e.KubernetesGroups) != 0 {
		t.Errorf("after refused updates the entry is %+v (err %v), want it unchanged", e, err)
	}
}

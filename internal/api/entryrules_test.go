package api

import (
	"net/http"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
)

// TestCustomUsernameRulesOverHTTP: the EKS user guide's rules for a custom
// access entry username ("Set a custom username for EKS access entries"),
// on create and on update, over HTTP with SigV4.
func TestCustomUsernameRulesOverHTTP(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: access.ModeAPIAndConfigMap})
	creator := f.creds("creator")
	create := "/clusters/" + testCluster + "/access-entries"
	tests := []struct {
		username string
		message  string // "" when accepted
	}{
		{"admin:{{SessionName}}", ""},
		{"jo:hn{{SessionNameRaw}}", ""},
		{"admin", ""},
		{"john{{SessionName}}", "The username john{{SessionName}} is invalid, it must include a colon before {{SessionName}}"},
		{"{{SessionNameRaw}}", "The username {{SessionNameRaw}} is invalid, it must include a colon before {{SessionNameRaw}}"},
		{"system:x", "The username must not begin with system:"},
		{"eks:x", "The username must not begin with eks:"},
		{"aws:x", "The username must not begin with aws:"},
		{"amazon:x", "The username must not begin with amazon:"},
		{"iam:{{SessionName}}", "The username must not begin with iam:"},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			body := `{"principalArn":"` + adminRoleARN + `","username":"` + tt.username + `"}`
			r := f.do(t, &creator, http.MethodPost, create, body)
			if tt.message == "" {
				if r.status != http.StatusOK {
					t.Fatalf("create: %d %s %q", r.status, r.errType, r.message())
				}
				if r := f.do(t, &creator, http.MethodDelete, entryPath(adminRoleARN), ""); r.status != http.StatusOK {
					t.Fatalf("delete: %d %q", r.status, r.message())
				}
				return
			}
			if r.status != http.StatusBadRequest || r.errType != "InvalidParameterException" || r.message() != tt.message {
				t.Errorf("create: %d %s %q, want 400 InvalidParameterException %q", r.status, r.errType, r.message(), tt.message)
			}
		})
	}
	// Updates follow the same rules.
	if r := f.do(t, &creator, http.MethodPost, create, `{"principalArn":"`+adminRoleARN+`"}`); r.status != http.StatusOK {
		t.Fatalf("create: %d %q", r.status, r.message())
	}
	r := f.do(t, &creator, http.MethodPost, entryPath(adminRoleARN), `{"username":"ops{{SessionName}}"}`)
	if r.status != http.StatusBadRequest || r.message() != "The username ops{{SessionName}} is invalid, it must include a colon before {{SessionName}}" {
		t.Errorf("update: %d %s %q", r.status, r.errType, r.message())
	}
	if r := f.do(t, &creator, http.MethodPost, entryPath(adminRoleARN), `{"username":"ops:{{SessionName}}"}`); r.status != http.StatusOK {
		t.Errorf("update: %d %q", r.status, r.message())
	}
}

// TestEntryTypesOverHTTP: per access entry type, what CreateAccessEntry and
// AssociateAccessPolicy accept, over HTTP.
func TestEntryTypesOverHTTP(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: access.ModeAPIAndConfigMap})
	creator := f.creds("creator")
	create := "/clusters/" + testCluster + "/access-entries"
	const (
		view     = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
		autoNode = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"
	)
	tests := []struct {
		typ      string
		username string // what the entry gets
		takes    string // the policy of view and autoNode it takes, "" for none
	}{
		{"STANDARD", "arn:aws:sts::111122223333:assumed-role/admin/{{SessionName}}", view},
		{"EC2_LINUX", "system:node:{{EC2PrivateDNSName}}", ""},
		{"EC2_WINDOWS", "system:node:{{EC2PrivateDNSName}}", ""},
		{"FARGATE_LINUX", "system:node:{{SessionName}}", ""},
		{"HYBRID_LINUX", "system:node:{{SessionName}}", ""},
		{"HYPERPOD_LINUX", "system:node:{{EC2PrivateDNSName}}", ""},
		{"EC2", "system:node:{{EC2PrivateDNSName}}", autoNode},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			r := f.do(t, &creator, http.MethodPost, create, `{"principalArn":"`+adminRoleARN+`","type":"`+tt.typ+`"}`)
			if r.status != http.StatusOK {
				t.Fatalf("create: %d %s %q", r.status, r.errType, r.message())
			}
			t.Cleanup(func() { f.do(t, &creator, http.MethodDelete, entryPath(adminRoleARN), "") })
			entry, _ := r.body["accessEntry"].(map[string]any)
			if entry["username"] != tt.username || entry["type"] != tt.typ {
				t.Errorf("entry = %v", entry)
			}
			for _, policy := range []string{view, autoNode} {
				r := f.do(t, &creator, http.MethodPost, entryPath(adminRoleARN, "access-policies"),
					`{"policyArn":"`+policy+`","accessScope":{"type":"cluster"}}`)
				if want := policy == tt.takes; (r.status == http.StatusOK) != want {
					t.Errorf("associate %s: %d %s %q, want accepted=%v", policy, r.status, r.errType, r.message(), want)
				} else if !want && (r.status != http.StatusBadRequest || r.errType != "InvalidParameterException") {
					t.Errorf("associate %s: %d %s, want 400 InvalidParameterException", policy, r.status, r.errType)
				}
			}
		})
	}
	t.Run("unknown policy", func(t *testing.T) {
		if r := f.do(t, &creator, http.MethodPost, create, `{"principalArn":"`+adminRoleARN+`"}`); r.status != http.StatusOK {
			t.Fatalf("create: %d %q", r.status, r.message())
		}
		t.Cleanup(func() { f.do(t, &creator, http.MethodDelete, entryPath(adminRoleARN), "") })
		for _, policy := range []string{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSMadeUpPolicy", "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterInsightsPolicy"} {
			r := f.do(t, &creator, http.MethodPost, entryPath(adminRoleARN, "access-policies"), `{"policyArn":"`+policy+`","accessScope":{"type":"cluster"}}`)
			if r.status != http.StatusNotFound || r.errType != "ResourceNotFoundException" {
				t.Errorf("associate %s: %d %s %q, want 404 ResourceNotFoundException", policy, r.status, r.errType, r.message())
			}
		}
		if assocs, err := f.store.ListAssociations(adminRoleARN); err != nil || len(assocs) != 0 {
			t.Errorf("stored %v (err %v)", assocs, err)
		}
	})
}

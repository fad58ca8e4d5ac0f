package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kubeiam/kubeiam/internal/access"
)

func updateMode(t *testing.T, f *fixture, mode string) response {
	t.Helper()
	c := f.creds("creator")
	return f.do(t, &c, http.MethodPost, "/clusters/"+testCluster+"/update-config", `{"accessConfig":{"authenticationMode":"`+mode+`"}}`)
}

func TestModeTransitions(t *testing.T) {
	t.Run("forwards one step at a time, never back", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		steps := []struct {
			mode   string
			status int
			msg    string
		}{
			{"CONFIG_MAP", 400, "Unsupported authentication mode update from CONFIG_MAP to CONFIG_MAP"},
			{"API_AND_CONFIG_MAP", 200, ""},
			{"CONFIG_MAP", 400, "Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP"},
			{"API", 200, ""},
			{"API_AND_CONFIG_MAP", 400, "Unsupported authentication mode update from API to API_AND_CONFIG_MAP"},
		}
		for _, s := range steps {
			r := updateMode(t, f, s.mode)
			if r.status != s.status || !strings.Contains(r.message(), s.msg) {
				t.Errorf("to %s: %d %q, want %d %q", s.mode, r.status, r.message(), s.status, s.msg)
			}
		}
		cfg, _ := f.store.GetCluster()
		if cfg.AuthenticationMode != access.ModeAPI {
			t.Errorf("mode = %s", cfg.AuthenticationMode)
		}
	})
	t.Run("CONFIG_MAP straight to API is refused as EKS refuses it", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		r := updateMode(t, f, "API")
		if r.status != 400 || r.errType != "InvalidParameterException" ||
			r.message() != "Unsupported authentication mode update from CONFIG_MAP to API." {
			t.Errorf("%d %s %q", r.status, r.errType, r.message())
		}
		cfg, _ := f.store.GetCluster()
		if cfg.AuthenticationMode != access.ModeConfigMap {
			t.Errorf("mode = %s", cfg.AuthenticationMode)
		}
		if _, err := f.store.GetEntry(creatorARN); access.TypeOf(err) != access.ResourceNotFoundException {
			t.Errorf("a refused change bootstrapped the creator: %v", err)
		}
	})
	t.Run("CONFIG_MAP to API_AND_CONFIG_MAP bootstraps the creator", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		if r := updateMode(t, f, "API_AND_CONFIG_MAP"); r.status != 200 {
			t.Fatalf("%+v", r)
		}
		assocs, err := f.store.ListAssociations(creatorARN)
		if err != nil || len(assocs) != 1 || assocs[0].PolicyARN != adminPolicy {
			t.Errorf("creator's associations = %+v, %v", assocs, err)
		}
		e, _ := f.store.GetEntry(creatorARN)
		if !e.CreatedAt.Equal(t0) {
			t.Errorf("bootstrap entry = %+v", e)
		}
	})
	t.Run("an existing creator entry is kept", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{})
		e, err := access.NewEntry(access.CreateEntryRequest{PrincipalARN: creatorARN, KubernetesGroups: []string{"ops"}}, testCluster, "us-east-1", "111122223333", t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.CreateEntry(e); err != nil {
			t.Fatal(err)
		}
		if r := updateMode(t, f, "API_AND_CONFIG_MAP"); r.status != 200 {
			t.Fatalf("%+v", r)
		}
		got, _ := f.store.GetEntry(creatorARN)
		assocs, _ := f.store.ListAssociations(creatorARN)
		if !reflect.DeepEqual(got.KubernetesGroups, []string{"ops"}) || len(assocs) != 0 {
			t.Errorf("existing entry changed: %+v, %+v", got, assocs)
		}
	})
	t.Run("no bootstrap between API modes", func(t *testing.T) {
		f := newFixture(t, fixtureOptions{mode: "API_AND_CONFIG_MAP"})
		if r := updateMode(t, f, "API"); r.status != 200 {
			t.Fatalf("%+v", r)
		}
		if _, err := f.store.GetEntry(creatorARN); access.TypeOf(err) != access.ResourceNotFoundException {
			t.Errorf("a creator entry appeared: %v", err)
		}
	})
}

func TestPagination(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	ctx := context.Background()
	c := f.client(f.creds("creator"))
	name := aws.String(testCluster)
	var all, viewers []string
	for i := range 7 {
		p := fmt.Sprintf("arn:aws:iam::111122223333:role/r%d", i)
		all = append(all, p)
		if _, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: name, PrincipalArn: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			viewers = append(viewers, p)
			if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(p),
				PolicyArn: aws.String(viewPolicyARN), AccessScope: clusterScope()}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		name   string
		filter *string
		want   []string
		pages  int
	}{
		{"all", nil, all, 4},
		{"filtered", aws.String(viewPolicyARN), viewers, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			pages := 0
			p := eks.NewListAccessEntriesPaginator(c, &eks.ListAccessEntriesInput{ClusterName: name, MaxResults: aws.Int32(2), AssociatedPolicyArn: tt.filter})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(out.AccessEntries) > 2 {
					t.Errorf("page of %d", len(out.AccessEntries))
				}
				pages++
				got = append(got, out.AccessEntries...)
			}
			if !reflect.DeepEqual(got, tt.want) || pages != tt.pages {
				t.Errorf("got %v in %d pages, want %v in %d", got, pages, tt.want, tt.pages)
			}
		})
	}
	t.Run("access policies", func(t *testing.T) {
		var names []string
		p := eks.NewListAccessPoliciesPaginator(c, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ap := range out.AccessPolicies {
				names = append(names, aws.ToString(ap.Name))
			}
		}
		want := []string{"AmazonAIOpsAssistantPolicy", "AmazonARCRegionSwitchScalingPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSClusterAdminPolicy",
			"AmazonEKSEditPolicy", "AmazonEKSHybridPolicy", "AmazonEKSViewPolicy"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("got %v", names)
		}
	})
	t.Run("associated policies", func(t *testing.T) {
		p := all[0]
		for _, pol := range []string{adminPolicy, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"} {
			if _, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: name, PrincipalArn: aws.String(p),
				PolicyArn: aws.String(pol), AccessScope: clusterScope()}); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		pg := eks.NewListAssociatedAccessPoliciesPaginator(c, &eks.ListAssociatedAccessPoliciesInput{ClusterName: name, PrincipalArn: aws.String(p), MaxResults: aws.Int32(1)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.AssociatedAccessPolicies {
				got = append(got, aws.ToString(a.PolicyArn))
			}
		}
		if len(got) != 3 || got[0] != adminPolicy || got[2] != viewPolicyARN {
			t.Errorf("got %v", got)
		}
	})
}

func TestAuditAndMetrics(t *testing.T) {
	f := newFixture(t, fixtureOptions{mode: "API"})
	creator, developer := f.creds("creator"), f.creds("developer")
	f.do(t, &creator, http.MethodPost, "/clusters/"+testCluster+"/access-entries", `{"principalArn":"`+developerARN+`"}`)
	f.do(t, &creator, http.MethodPost, entryPath(developerARN, "access-policies"), `{"policyArn":"`+viewPolicyARN+`","accessScope":{"type":"cluster"}}`)
	f.do(t, &developer, http.MethodDelete, entryPath(developerARN), "")
	f.do(t, nil, http.MethodGet, "/clusters/"+testCluster, "")
	recs := f.auditLines(t)
	want := []AuditRecord{
		{CallerARN: creatorARN, Operation: OpCreateAccessEntry, Cluster: testCluster, PrincipalARN: developerARN, Status: 200},
		{CallerARN: creatorARN, Operation: OpAssociateAccessPolicy, Cluster: testCluster, PrincipalARN: developerARN, PolicyARN: viewPolicyARN, Status: 200},
		{CallerARN: developerARN, Operation: OpDeleteAccessEntry, Cluster: testCluster, PrincipalARN: developerARN, Status: 403, ErrorType: "AccessDeniedException"},
		{Operation: OpDescribeCluster, Cluster: testCluster, Status: 403, ErrorType: "MissingAuthenticationTokenException"},
	}
	if len(recs) != len(want) {
		t.Fatalf("audit:\n%s", f.audit)
	}
	for i, w := range want {
		r := recs[i]
		if r.CallerARN != w.CallerARN || r.Operation != w.Operation || r.Cluster != w.Cluster || r.PrincipalARN != w.PrincipalARN ||
			r.PolicyARN != w.PolicyARN || r.Status != w.Status || r.ErrorType != w.ErrorType || !r.Time.Equal(t0) || r.RequestID == "" {
			t.Errorf("audit[%d] = %+v, want %+v", i, r, w)
		}
	}
	if n := testutil.ToFloat64(f.metrics.APICalls.WithLabelValues(OpDeleteAccessEntry, "403")); n != 1 {
		t.Errorf("api_calls_total{DeleteAccessEntry,403} = %v", n)
	}
	if !strings.Contains(f.logs.String(), `"msg":"api call"`) || !strings.Contains(f.logs.String(), `"operation":"AssociateAccessPolicy"`) {
		t.Errorf("logs:\n%s", f.logs)
	}
}

func clusterScope() *types.AccessScope { return &types.AccessScope{Type: types.AccessScopeTypeCluster} }

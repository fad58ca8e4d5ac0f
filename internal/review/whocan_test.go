package review

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/authz"
	"github.com/kubeiam/kubeiam/internal/awsauth"
	"github.com/kubeiam/kubeiam/internal/rbaceval"
)

const (
	acct     = "111122223333"
	creator  = "arn:aws:iam::111122223333:role/creator"
	devRole  = "arn:aws:iam::111122223333:role/dev"
	opsRole  = "arn:aws:iam::111122223333:role/ops"
	alice    = "arn:aws:iam::111122223333:user/alice"
	ssoAdmin = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_*"
)

func crb(name, role string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	b := rbacv1.ClusterRoleBinding{Subjects: subjects, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role}}
	b.Name = name
	return b
}

func rb(ns, name, kind, role string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	b := rbacv1.RoleBinding{Subjects: subjects, RoleRef: rbacv1.RoleRef{Kind: kind, Name: role}}
	b.Name, b.Namespace = name, ns
	return b
}

func group(n string) rbacv1.Subject { return rbacv1.Subject{Kind: "Group", Name: n} }
func user(n string) rbacv1.Subject  { return rbacv1.Subject{Kind: "User", Name: n} }

func entry(principal, username string, groups ...string) access.AccessEntry {
	return access.AccessEntry{PrincipalARN: principal, Username: username, KubernetesGroups: groups, Type: access.EntryStandard}
}

func assoc(principal, policy string, namespaces ...string) access.AccessPolicyAssociation {
	s := authz.Scope{Type: authz.ScopeCluster}
	if len(namespaces) > 0 {
		s = authz.Scope{Type: authz.ScopeNamespace, Namespaces: namespaces}
	}
	return access.AccessPolicyAssociation{PrincipalARN: principal, PolicyARN: policy, Scope: s}
}

var deletePodsProd = Request{Verb: "delete", Resource: "pods", Namespace: "prod"}

// allowed returns "principal:pathkind" for each path, sorted.
func allowed(r Result) []string {
	var out []string
	for _, a := range r.Allowed {
		for _, p := range a.Paths {
			s := a.Principal.Principal + ":" + string(p.Kind)
			if p.Partial {
				s += "(partial)"
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

func TestWhoCanPaths(t *testing.T) {
	podDeleter := rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{Verbs: []string{"delete"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}
	podDeleter.Name = "pod-deleter"
	awsAuthDev := &awsauth.Document{Roles: []awsauth.RoleMapping{{RoleARN: devRole, Username: "dev:{{SessionName}}", Groups: []string{"devs"}}}}
	tests := []struct {
		name string
		in   Input
		q    Request
		want []string
	}{
		{
			name: "CONFIG_MAP implicit creator is allowed through system:masters",
			in:   Input{Mode: access.ModeConfigMap, CreatorARN: creator},
			q:    deletePodsProd,
			want: []string{creator + ":creator"},
		},
		{
			name: "aws-auth mapping to a group with a RoleBinding to edit",
			in: Input{AWSAuth: awsAuthDev, RBAC: &rbaceval.RBAC{RoleBindings: []rbacv1.RoleBinding{
				rb("prod", "devs-edit", "ClusterRole", "edit", group("devs"))}}},
			q:    deletePodsProd,
			want: []string{devRole + ":rbac"},
		},
		{
			name: "a RoleBinding in another namespace does not allow",
			in: Input{AWSAuth: awsAuthDev, RBAC: &rbaceval.RBAC{RoleBindings: []rbacv1.RoleBinding{
				rb("dev", "devs-edit", "ClusterRole", "edit", group("devs"))}}},
			q: deletePodsProd,
		},
		{
			name: "aws-auth system:masters",
			in:   Input{AWSAuth: &awsauth.Document{Users: []awsauth.UserMapping{{UserARN: alice, Username: "alice", Groups: []string{"system:masters"}}}}},
			q:    deletePodsProd,
			want: []string{alice + ":systemMasters"},
		},
		{
			name: "access entry with a namespace-scoped access policy",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.EditPolicyARN, "prod")}},
			q:    deletePodsProd,
			want: []string{opsRole + ":accessPolicy"},
		},
		{
			name: "access policy scoped to another namespace does not allow",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.EditPolicyARN, "dev")}},
			q: deletePodsProd,
		},
		{
			name: "view policy does not allow delete",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.ViewPolicyARN)}},
			q: deletePodsProd,
		},
		{
			name: "ARC Region switch policy allows updating a workload's scale in its namespace",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.ARCScalingPolicyARN, "prod")}},
			q:    Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Name: "web", Namespace: "prod"},
			want: []string{opsRole + ":accessPolicy"},
		},
		{
			name: "ARC Region switch policy does not allow deleting pods",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.ARCScalingPolicyARN, "prod")}},
			q: deletePodsProd,
		},
		{
			name: "AIOps policy with cluster scope allows listing nodes",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.AIOpsPolicyARN)}},
			q:    Request{Verb: "list", Resource: "nodes"},
			want: []string{opsRole + ":accessPolicy"},
		},
		{
			name: "access entry group bound to a custom ClusterRole",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops", "oncall")},
				RBAC: &rbaceval.RBAC{ClusterRoles: []rbacv1.ClusterRole{podDeleter},
					ClusterRoleBindings: []rbacv1.ClusterRoleBinding{crb("oncall", "pod-deleter", group("oncall"))}}},
			q:    deletePodsProd,
			want: []string{opsRole + ":rbac"},
		},
		{
			name: "access entry username bound directly",
			in: Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops")},
				RBAC: &rbaceval.RBAC{RoleBindings: []rbacv1.RoleBinding{rb("prod", "ops", "ClusterRole", "admin", user("ops"))}}},
			q:    deletePodsProd,
			want: []string{opsRole + ":rbac"},
		},
		{
			name: "API_AND_CONFIG_MAP bootstrap creator entry plus aws-auth",
			in: Input{Mode: access.ModeAPIAndConfigMap, CreatorARN: creator, AWSAuth: awsAuthDev,
				Entries:      []access.AccessEntry{entry(creator, "creator")},
				Associations: []access.AccessPolicyAssociation{assoc(creator, authz.ClusterAdminPolicyARN)},
				RBAC:         &rbaceval.RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{crb("devs", "edit", group("devs"))}}},
			q:    deletePodsProd,
			want: []string{creator + ":accessPolicy", devRole + ":rbac"},
		},
		{
			name: "whole account through mapAccounts and a system:authenticated binding",
			in: Input{AWSAuth: &awsauth.Document{Accounts: []string{acct}},
				RBAC: &rbaceval.RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{crb("everyone", "edit", group("system:authenticated"))}}},
			q:    deletePodsProd,
			want: []string{acct + ":rbac"},
		},
		{
			name: "Identity Center permission set",
			in: Input{AWSAuth: &awsauth.Document{Roles: []awsauth.RoleMapping{{SSO: &awsauth.SSOMapping{PermissionSetName: "Admin", AccountID: acct},
				Username: "admin:{{SessionName}}", Groups: []string{"system:masters"}}}}},
			q:    deletePodsProd,
			want: []string{ssoAdmin + ":systemMasters"},
		},
		{
			name: "templated username matches a user subject only for some sessions",
			in: Input{AWSAuth: awsAuthDev, RBAC: &rbaceval.RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
				crb("bob", "edit", user("dev:bob"))}}},
			q:    deletePodsProd,
			want: []string{devRole + ":rbac(partial)"},
		},
		{
			name: "aggregated ClusterRole counts the rules of the roles it selects",
			in: Input{AWSAuth: awsAuthDev, RBAC: &rbaceval.RBAC{
				ClusterRoles: []rbacv1.ClusterRole{aggregating("agg", "x"), labeled(podDeleter, "x")},
				RoleBindings: []rbacv1.RoleBinding{rb("prod", "agg", "ClusterRole", "agg", group("devs"))}}},
			q:    deletePodsProd,
			want: []string{devRole + ":rbac"},
		},
		{
			name: "non-resource request",
			in: Input{AWSAuth: awsAuthDev, RBAC: &rbaceval.RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{
				crb("devs", "view", group("devs"))}}},
			q:    Request{Verb: "get", Path: "/healthz"},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := WhoCan(tt.in, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := allowed(r); !slices.Equal(got, tt.want) {
				t.Fatalf("allowed paths = %v, want %v\nresult: %+v", got, tt.want, r)
			}
		})
	}
}

func aggregating(name, label string) rbacv1.ClusterRole {
	cr := rbacv1.ClusterRole{AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": label}}}}}
	cr.Name = name
	return cr
}

func labeled(cr rbacv1.ClusterRole, label string) rbacv1.ClusterRole {
	cr.Labels = map[string]string{"agg": label}
	return cr
}

// The mode decides which sources count, as resolve.Resolve does; see
// https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html
// (authentication modes).
func TestWhoCanRespectsMode(t *testing.T) {
	in := Input{
		CreatorARN:   creator,
		AWSAuth:      &awsauth.Document{Roles: []awsauth.RoleMapping{{RoleARN: devRole, Username: "dev", Groups: []string{"system:masters"}}}},
		Entries:      []access.AccessEntry{entry(devRole, "dev"), entry(opsRole, "ops")},
		Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.ClusterAdminPolicyARN)},
	}
	tests := []struct {
		mode  access.Mode
		want  []string
		notes string
	}{
		{access.ModeConfigMap, []string{creator + ":creator", devRole + ":systemMasters"}, "access entries ignored"},
		// The entry for dev wins over its aws-auth system:masters mapping.
		{access.ModeAPIAndConfigMap, []string{opsRole + ":accessPolicy"}, "an access entry for the same principal wins"},
		{access.ModeAPI, []string{opsRole + ":accessPolicy"}, "aws-auth ignored"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			in := in
			in.Mode = tt.mode
			r, err := WhoCan(in, deletePodsProd)
			if err != nil {
				t.Fatal(err)
			}
			if got := allowed(r); !slices.Equal(got, tt.want) {
				t.Errorf("allowed = %v, want %v", got, tt.want)
			}
			if !strings.Contains(strings.Join(r.Notes, "\n"), tt.notes) {
				t.Errorf("notes %q lack %q", r.Notes, tt.notes)
			}
		})
	}
}

func TestWhoCanListsMappedButNotAllowed(t *testing.T) {
	in := Input{Mode: access.ModeAPI, Entries: []access.AccessEntry{entry(opsRole, "ops"), entry(alice, "alice")},
		Associations: []access.AccessPolicyAssociation{assoc(opsRole, authz.ViewPolicyARN)}}
	r, err := WhoCan(in, Request{Verb: "list", Resource: "pods", Namespace: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Allowed) != 1 || r.Allowed[0].Principal.Principal != opsRole {
		t.Fatalf("allowed = %+v", r.Allowed)
	}
	if len(r.NotAllowed) != 1 || r.NotAllowed[0].Principal != alice {
		t.Fatalf("not allowed = %+v", r.NotAllowed)
	}
}

func TestWhoCanRejectsBadInput(t *testing.T) {
	if _, err := WhoCan(Input{Mode: "BOGUS"}, deletePodsProd); err == nil {
		t.Error("bad mode accepted")
	}
	if _, err := WhoCan(Input{CreatorARN: "not-an-arn"}, deletePodsProd); err == nil {
		t.Error("bad creator accepted")
	}
	if _, err := WhoCan(Input{}, Request{Resource: "pods"}); err == nil {
		t.Error("request without verb accepted")
	}
}

func TestReviewListsEveryPrincipalAndWhatItReaches(t *testing.T) {
	in := Input{Mode: access.ModeAPIAndConfigMap, CreatorARN: creator,
		AWSAuth:      &awsauth.Document{Roles: []awsauth.RoleMapping{{RoleARN: devRole, Username: "dev", Groups: []string{"devs"}}}, Accounts: []string{acct}},
		Entries:      []access.AccessEntry{entry(creator, "creator")},
		Associations: []access.AccessPolicyAssociation{assoc(creator, authz.ClusterAdminPolicyARN)},
		RBAC: &rbaceval.RBAC{ClusterRoleBindings: []rbacv1.ClusterRoleBinding{crb("devs-view", "view", group("devs"))},
			RoleBindings: []rbacv1.RoleBinding{rb("prod", "all", "ClusterRole", "view", group("system:authenticated"))}}}
	rev, err := Review(in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rev.Principals {
		s := p.Principal.Principal + " policies=" + strings.Repeat("P", len(p.Policies))
		for _, b := range p.Bindings {
			s += " " + b.String()
		}
		if p.Creator {
			s += " creator"
		}
		got = append(got, s)
	}
	want := []string{
		creator + " policies=P RoleBinding prod/all (ClusterRole view) creator",
		devRole + " policies= ClusterRoleBinding devs-view (ClusterRole view) RoleBinding prod/all (ClusterRole view)",
		acct + " policies= RoleBinding prod/all (ClusterRole view)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("review =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

package access

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNewEntryDefaults(t *testing.T) {
	tests := []struct {
		name     string
		req      CreateEntryRequest
		username string
		groups   []string
		typ      EntryType
		arnKind  string // the role|user/ACCOUNT/NAME part of the entry ARN
	}{
		{"user gets its ARN", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:user/alice"},
			"arn:aws:iam::111122223333:user/alice", []string{}, EntryStandard, "user/111122223333/alice"},
		{"user with path keeps it in the username", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:user/eng/alice"},
			"arn:aws:iam::111122223333:user/eng/alice", []string{}, EntryStandard, "user/111122223333/alice"},
		{"role gets its session ARN template", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Admin"},
			"arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}", []string{}, EntryStandard, "role/111122223333/Admin"},
		{"role with path drops it in the session template", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123"},
			"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/{{SessionName}}", []string{}, EntryStandard, "role/111122223333/AWSReservedSSO_Admin_0123"},
		{"role in China uses its partition", CreateEntryRequest{PrincipalARN: "arn:aws-cn:iam::111122223333:role/Admin"},
			"arn:aws-cn:sts::111122223333:assumed-role/Admin/{{SessionName}}", []string{}, EntryStandard, "role/111122223333/Admin"},
		{"cross-account role", CreateEntryRequest{PrincipalARN: "arn:aws:iam::444455556666:role/Admin"},
			"arn:aws:sts::444455556666:assumed-role/Admin/{{SessionName}}", []string{}, EntryStandard, "role/444455556666/Admin"},
		{"custom username and groups, duplicates dropped", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Dev",
			Username: "dev:{{SessionName}}", KubernetesGroups: []string{"devs", "viewers", "devs"}, Type: EntryStandard},
			"dev:{{SessionName}}", []string{"devs", "viewers"}, EntryStandard, "role/111122223333/Dev"},
		{"EC2_LINUX", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Node", Type: EntryEC2Linux},
			"system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}, EntryEC2Linux, "role/111122223333/Node"},
		{"EC2_WINDOWS", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Node", Type: EntryEC2Windows},
			"system:node:{{EC2PrivateDNSName}}", []string{"system:nodes", "eks:kube-proxy-windows"}, EntryEC2Windows, "role/111122223333/Node"},
		{"FARGATE_LINUX", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/PodExecution", Type: EntryFargateLinux},
			"system:node:{{SessionName}}", []string{"system:nodes", "system:node-proxier"}, EntryFargateLinux, "role/111122223333/PodExecution"},
		{"HYBRID_LINUX", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Hybrid", Type: EntryHybridLinux},
			"system:node:{{SessionName}}", []string{"system:nodes"}, EntryHybridLinux, "role/111122223333/Hybrid"},
		{"EC2 (Auto Mode)", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Auto", Type: EntryEC2},
			"system:node:{{EC2PrivateDNSName}}", nil, EntryEC2, "role/111122223333/Auto"},
		{"HYPERPOD_LINUX", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/HyperPod", Type: EntryHyperPodLinux},
			"system:node:{{EC2PrivateDNSName}}", []string{"system:nodes"}, EntryHyperPodLinux, "role/111122223333/HyperPod"},
	}
	idPattern := `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			partition := strings.Split(tt.req.PrincipalARN, ":")[1]
			region := regionOf(partition)
			e, err := NewEntry(tt.req, testCluster, region, testAccount, t0)
			if err != nil {
				t.Fatalf("NewEntry: %v", err)
			}
			if e.Username != tt.username || e.Type != tt.typ || !reflect.DeepEqual(e.KubernetesGroups, tt.groups) {
				t.Errorf("username=%q type=%s groups=%q; want %q %s %q", e.Username, e.Type, e.KubernetesGroups, tt.username, tt.typ, tt.groups)
			}
			if e.PrincipalARN != tt.req.PrincipalARN || e.ClusterName != testCluster || !e.CreatedAt.Equal(t0) || !e.ModifiedAt.Equal(t0) {
				t.Errorf("entry = %+v", e)
			}
			want := regexp.MustCompile("^" + regexp.QuoteMeta("arn:"+partition+":eks:"+region+":111122223333:access-entry/prod/"+tt.arnKind+"/") + idPattern + "$")
			if !want.MatchString(e.AccessEntryARN) {
				t.Errorf("AccessEntryARN = %q, want %s", e.AccessEntryARN, want)
			}
		})
	}
}

func TestAccessEntryARNIsDeterministic(t *testing.T) {
	req := CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Admin"}
	a, _ := NewEntry(req, testCluster, testRegion, testAccount, t0)
	b, _ := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/path/admin"}, testCluster, testRegion, testAccount, t0)
	later, _ := NewEntry(req, testCluster, testRegion, testAccount, t0.Add(time.Nanosecond))
	if id(a.AccessEntryARN) != id(b.AccessEntryARN) {
		t.Errorf("the same principal key at the same instant must get the same ID: %s, %s", a.AccessEntryARN, b.AccessEntryARN)
	}
	if id(a.AccessEntryARN) == id(later.AccessEntryARN) {
		t.Errorf("a recreated entry must get a new ID: %s", later.AccessEntryARN)
	}
}

func id(entryARN string) string { return entryARN[strings.LastIndex(entryARN, "/")+1:] }

func TestNewEntryRejects(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/Dev"
	tests := []struct {
		name string
		req  CreateEntryRequest
		typ  ErrorType
		msg  string
	}{
		{"malformed ARN", CreateEntryRequest{PrincipalARN: "not-an-arn"}, InvalidParameterException,
			"The specified principalArn is invalid: invalid principal. ..."},
		{"IAM group", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:group/devs"}, InvalidParameterException,
			"The specified principalArn is invalid: invalid principal. ..."},
		{"account root", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:root"}, InvalidParameterException,
			"The specified principalArn is invalid: invalid principal. The account root user cannot have an access entry; use an IAM user or role."},
		{"assumed-role session", CreateEntryRequest{PrincipalARN: "arn:aws:sts::111122223333:assumed-role/Dev/alice"}, InvalidParameterException,
			"The specified principalArn is invalid: invalid principal. arn:aws:sts::111122223333:assumed-role/Dev/alice is an STS session; create the access entry for its role, arn:aws:iam::111122223333:role/Dev."},
		{"federated user", CreateEntryRequest{PrincipalARN: "arn:aws:sts::111122223333:federated-user/bob"}, InvalidParameterException,
			"The specified principalArn is invalid: invalid principal. STS federated users cannot have an access entry; use an IAM user or role."},
		{"service-linked role", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/aws-service-role/emr-containers.amazonaws.com/AWSServiceRoleForAmazonEMRContainers"},
			InvalidParameterException, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role"},
		{"unknown type", CreateEntryRequest{PrincipalARN: role, Type: "EC2_MAC"}, InvalidParameterException,
			`The type "EC2_MAC" is invalid, it must be one of STANDARD, FARGATE_LINUX, EC2_LINUX, EC2_WINDOWS, EC2, HYBRID_LINUX, HYPERPOD_LINUX.`},
		{"lowercase type", CreateEntryRequest{PrincipalARN: role, Type: "standard"}, InvalidParameterException, `The type "standard" is invalid...`},
		{"system:masters group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"devs", "system:masters"}}, InvalidParameterException,
			"The kubernetes group name system:masters is invalid, it cannot start with system:"},
		{"system:nodes group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"system:nodes"}}, InvalidParameterException,
			"The kubernetes group name system:nodes is invalid, it cannot start with system:"},
		{"empty group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{""}}, InvalidParameterException,
			`The kubernetes group name "" is invalid, it cannot be empty or have leading or trailing white space.`},
		{"padded group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{" devs"}}, InvalidParameterException,
			`The kubernetes group name " devs" is invalid...`},
		{"system: username", CreateEntryRequest{PrincipalARN: role, Username: "system:admin"}, InvalidParameterException,
			"The username must not begin with system:"},
		{"eks: username", CreateEntryRequest{PrincipalARN: role, Username: "eks:x"}, InvalidParameterException,
			"The username must not begin with eks:"},
		{"aws: username", CreateEntryRequest{PrincipalARN: role, Username: "aws:x"}, InvalidParameterException,
			"The username must not begin with aws:"},
		{"amazon: username", CreateEntryRequest{PrincipalARN: role, Username: "amazon:x"}, InvalidParameterException,
			"The username must not begin with amazon:"},
		{"iam: username", CreateEntryRequest{PrincipalARN: role, Username: "iam:x"}, InvalidParameterException,
			"The username must not begin with iam:"},
		{"padded username", CreateEntryRequest{PrincipalARN: role, Username: "alice "}, InvalidParameterException,
			`The username "alice " is invalid, it cannot have leading or trailing white space.`},
		// Issue 10, item 7: each was accepted, then failed every login.
		{"System: username, any letter case", CreateEntryRequest{PrincipalARN: role, Username: "System:admin"}, InvalidParameterException,
			"The username must not begin with system:"},
		{"SYSTEM:node: username", CreateEntryRequest{PrincipalARN: role, Username: "SYSTEM:node:x"}, InvalidParameterException,
			"The username must not begin with system:"},
		{"EKS: username", CreateEntryRequest{PrincipalARN: role, Username: "EKS:x"}, InvalidParameterException,
			"The username must not begin with eks:"},
		{"Amazon: username", CreateEntryRequest{PrincipalARN: role, Username: "Amazon:x"}, InvalidParameterException,
			"The username must not begin with amazon:"},
		{"eks: group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"eks:kube-proxy-windows"}}, InvalidParameterException,
			"The kubernetes group name eks:kube-proxy-windows is invalid, it cannot start with eks:"},
		{"aws: group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"aws:admins"}}, InvalidParameterException,
			"The kubernetes group name aws:admins is invalid, it cannot start with aws:"},
		{"System:Masters group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"System:Masters"}}, InvalidParameterException,
			"The kubernetes group name System:Masters is invalid, it cannot start with system:"},
		{"IAM: group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"IAM:x"}}, InvalidParameterException,
			"The kubernetes group name IAM:x is invalid, it cannot start with iam:"},
		{"unknown template in username", CreateEntryRequest{PrincipalARN: role, Username: "x{{Foo}}"}, InvalidParameterException,
			`The username "x{{Foo}}" is invalid: unknown template variable {{Foo}}, use one of {{AccountID}}, {{SessionName}}, ...`},
		{"unclosed template in username", CreateEntryRequest{PrincipalARN: role, Username: "{{SessionName"}, InvalidParameterException,
			`The username "{{SessionName" is invalid: template opened with {{ but not closed with }}`},
		{"unopened template in username", CreateEntryRequest{PrincipalARN: role, Username: "SessionName}}"}, InvalidParameterException,
			`The username "SessionName}}" is invalid: }} without an opening {{`},
		{"template case matters", CreateEntryRequest{PrincipalARN: role, Username: "{{sessionname}}"}, InvalidParameterException,
			`The username "{{sessionname}}" is invalid: unknown template variable {{sessionname}}...`},
		{"unknown template in group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"team-{{Team}}"}}, InvalidParameterException,
			`The kubernetes group name "team-{{Team}}" is invalid: unknown template variable {{Team}}...`},
		{"newline in username", CreateEntryRequest{PrincipalARN: role, Username: "alice\nbob"}, InvalidParameterException,
			`The username "alice\nbob" is invalid, it cannot contain control characters (offset 5).`},
		{"NUL in username", CreateEntryRequest{PrincipalARN: role, Username: "a\x00"}, InvalidParameterException,
			`The username "a\x00" is invalid, it cannot contain control characters (offset 1).`},
		{"C1 control in group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"de\u0085vs"}}, InvalidParameterException,
			`The kubernetes group name "de\u0085vs" is invalid, it cannot contain control characters (offset 2).`},
		{"escape in group", CreateEntryRequest{PrincipalARN: role, KubernetesGroups: []string{"devs\x1b[31m"}}, InvalidParameterException,
			`The kubernetes group name "devs\x1b[31m" is invalid, it cannot contain control characters (offset 4).`},
		{"principal of another partition", CreateEntryRequest{PrincipalARN: "arn:aws-cn:iam::111122223333:role/Dev"}, InvalidParameterException,
			"The specified principalArn is invalid: invalid principal. The principal is in partition aws-cn, the cluster (region eu-west-1) in partition aws."},
		{"EKS service-linked role without its path", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEKS"},
			InvalidParameterException, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role"},
		{"EKS service-linked role with its path", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS"},
			InvalidParameterException, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role"},
		{"service-linked role name in another case", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/awsservicerolefORamazoneks"},
			InvalidParameterException, "The caller is not allowed to modify access entries with a principalArn value of a Service Linked Role"},
		{"node entry with groups", CreateEntryRequest{PrincipalARN: role, Type: EntryEC2Linux, KubernetesGroups: []string{"devs"}}, InvalidParameterException,
			"Kubernetes groups cannot be specified for access entries of type EC2_LINUX; they receive system:nodes."},
		{"node entry with username", CreateEntryRequest{PrincipalARN: role, Type: EntryFargateLinux, Username: "node"}, InvalidParameterException,
			"A username cannot be specified for access entries of type FARGATE_LINUX; their username is system:node:{{SessionName}}."},
		{"node entry for a user", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:user/alice", Type: EntryHybridLinux}, InvalidParameterException,
			"Access entries of type HYBRID_LINUX must be for an IAM role, not an IAM user."},
		{"too many tags", CreateEntryRequest{PrincipalARN: role, Tags: manyTags(51)}, InvalidParameterException,
			"Too many tags: 51, the maximum is 50."},
		{"empty tag key", CreateEntryRequest{PrincipalARN: role, Tags: map[string]string{"": "v"}}, InvalidParameterException,
			`The tag key "" is invalid, it must be 1 to 128 characters long.`},
		{"long tag key", CreateEntryRequest{PrincipalARN: role, Tags: map[string]string{strings.Repeat("k", 129): "v"}}, InvalidParameterException,
			`The tag key "kkkk...`},
		{"aws: tag key", CreateEntryRequest{PrincipalARN: role, Tags: map[string]string{"AWS:team": "v"}}, InvalidParameterException,
			`The tag key "AWS:team" is invalid, the prefix aws: is reserved for AWS use.`},
		{"long tag value", CreateEntryRequest{PrincipalARN: role, Tags: map[string]string{"team": strings.Repeat("v", 257)}}, InvalidParameterException,
			`The value of tag "team" is invalid, it must be at most 256 characters long.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewEntry(tt.req, testCluster, testRegion, testAccount, t0)
			wantError(t, err, tt.typ, tt.msg)
		})
	}
}

func manyTags(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestNewEntryAcceptsTagLimits(t *testing.T) {
	tags := manyTags(50)
	tags[strings.Repeat("é", 128)] = strings.Repeat("ü", 256) // limits count characters
	delete(tags, "k0")
	e, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Dev", Tags: tags}, testCluster, testRegion, testAccount, t0)
	if err != nil {
		t.Fatalf("NewEntry: %v", err)
	}
	tags["k1"] = "changed"
	if e.Tags["k1"] != "v" {
		t.Error("the entry must not share the request's tag map")
	}
}

func TestNewEntryRejectsBadCluster(t *testing.T) {
	req := CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Dev"}
	_, err := NewEntry(req, "", testRegion, testAccount, t0)
	wantError(t, err, InvalidParameterException, `The cluster name "" is invalid...`)
	_, err = NewEntry(req, testCluster, "", testAccount, t0)
	wantError(t, err, InvalidParameterException, `The cluster region "" or account "111122223333" is invalid.`)
}

func TestUpdateEntry(t *testing.T) {
	base, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Dev", Username: "dev", KubernetesGroups: []string{"devs"}},
		testCluster, testRegion, testAccount, t0)
	if err != nil {
		t.Fatal(err)
	}
	node, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/Node", Type: EntryEC2Linux}, testCluster, testRegion, testAccount, t0)
	if err != nil {
		t.Fatal(err)
	}
	ptr := func(s string) *string { return &s }
	groups := func(g ...string) *[]string { return &g }
	later := t0.Add(time.Hour)
	tests := []struct {
		name     string
		existing AccessEntry
		req      UpdateEntryRequest
		username string
		groups   []string
		typ      ErrorType
		msg      string
	}{
		{"nothing changes but ModifiedAt", base, UpdateEntryRequest{}, "dev", []string{"devs"}, "", ""},
		{"replace groups", base, UpdateEntryRequest{KubernetesGroups: groups("ops", "ops", "sre")}, "dev", []string{"ops", "sre"}, "", ""},
		{"clear groups", base, UpdateEntryRequest{KubernetesGroups: groups()}, "dev", []string{}, "", ""},
		{"replace username", base, UpdateEntryRequest{Username: ptr("developer")}, "developer", []string{"devs"}, "", ""},
		{"empty username restores the default", base, UpdateEntryRequest{Username: ptr("")},
			"arn:aws:sts::111122223333:assumed-role/Dev/{{SessionName}}", []string{"devs"}, "", ""},
		{"system group", base, UpdateEntryRequest{KubernetesGroups: groups("system:masters")}, "", nil, InvalidParameterException,
			"The kubernetes group name system:masters is invalid, it cannot start with system:"},
		{"reserved username", base, UpdateEntryRequest{Username: ptr("eks:admin")}, "", nil, InvalidParameterException,
			"The username must not begin with eks:"},
		{"node entry", node, UpdateEntryRequest{KubernetesGroups: groups("devs")}, "", nil, InvalidParameterException,
			`This operation can only be performed on Access Entries with a type of "STANDARD".`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.existing.Clone()
			got, err := UpdateEntry(tt.existing, tt.req, later)
			if tt.typ != "" {
				wantError(t, err, tt.typ, tt.msg)
				return
			}
			if err != nil {
				t.Fatalf("UpdateEntry: %v", err)
			}
			if got.Username != tt.username || !reflect.DeepEqual(got.KubernetesGroups, tt.groups) {
				t.Errorf("username=%q groups=%q, want %q %q", got.Username, got.KubernetesGroups, tt.username, tt.groups)
			}
			if !got.ModifiedAt.Equal(later) || !got.CreatedAt.Equal(t0) || got.Type != before.Type || got.AccessEntryARN != before.AccessEntryARN {
				t.Errorf("updated entry = %+v", got)
			}
			if !reflect.DeepEqual(tt.existing, before) {
				t.Error("UpdateEntry modified its input")
			}
		})
	}
}

func TestEntryKeyMatchesSessionsAndPaths(t *testing.T) {
	want, err := EntryKey("arn:aws:iam::111122223333:role/team/Admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/ADMIN",
		"arn:aws:sts::111122223333:assumed-role/Admin/alice"} {
		if got, err := EntryKey(s); err != nil || got != want {
			t.Errorf("EntryKey(%s) = %q, %v; want %q", s, got, err, want)
		}
	}
}

func FuzzNewEntry(f *testing.F) {
	f.Add("arn:aws:iam::111122223333:role/Dev", "dev", "devs", "STANDARD")
	f.Add("arn:aws:iam::111122223333:user/a/b", "", "", "")
	f.Add("arn:aws:iam::111122223333:role/Node", "", "", "EC2_LINUX")
	f.Add("arn:aws:sts::111122223333:assumed-role/R/s", "system:x", "system:masters", "FARGATE_LINUX")
	f.Fuzz(func(t *testing.T, principal, username, group, typ string) {
		e, err := NewEntry(CreateEntryRequest{PrincipalARN: principal, Username: username, KubernetesGroups: []string{group}, Type: EntryType(typ)},
			testCluster, testRegion, testAccount, t0)
		if err != nil {
			if TypeOf(err) == "" {
				t.Fatalf("refusal is not an access error: %v", err)
			}
			return
		}
		// Whatever is accepted is keyable, STANDARD-or-node consistent, and
		// never smuggles in a system: group the caller chose.
		if _, err := EntryKey(e.PrincipalARN); err != nil {
			t.Fatalf("accepted entry has no key: %v", err)
		}
		if e.Type == EntryStandard {
			for _, g := range e.KubernetesGroups {
				if strings.HasPrefix(g, "system:") {
					t.Fatalf("accepted group %q", g)
				}
			}
			if strings.HasPrefix(e.Username, "system:") {
				t.Fatalf("accepted username %q", e.Username)
			}
		}
	})
}

// TestNewEntryAcceptsKnownTemplates guards against over-refusal: every
// template variable, and names that only contain reserved words later on.
func TestNewEntryAcceptsKnownTemplates(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/Dev"
	for _, name := range []string{":{{SessionName}}", "dev:{{AccountID}}:{{SessionNameRaw}}", "{{AccessKeyID}}", "node-{{EC2PrivateDNSName}}",
		"team:system:x", "my-eks:admins", "ünïcode"} {
		if _, err := NewEntry(CreateEntryRequest{PrincipalARN: role, Username: name, KubernetesGroups: []string{name}}, testCluster, testRegion, testAccount, t0); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
}

// TestUpdateEntryRefusesBadInput: updates follow the create rules.
func TestUpdateEntryRefusesBadInput(t *testing.T) {
	e := standardEntry(t, "arn:aws:iam::111122223333:role/Dev")
	for _, u := range []string{"System:admin", "EKS:x", "{{Foo}}", "{{SessionName", "a\tb"} {
		if _, err := UpdateEntry(e, UpdateEntryRequest{Username: &u}, t0); TypeOf(err) != InvalidParameterException {
			t.Errorf("username %q: %v, want InvalidParameterException", u, err)
		}
	}
	for _, g := range []string{"System:masters", "eks:x", "Aws:x", "x{{Bar}}", "a\x7fb"} {
		groups := []string{g}
		if _, err := UpdateEntry(e, UpdateEntryRequest{KubernetesGroups: &groups}, t0); TypeOf(err) != InvalidParameterException {
			t.Errorf("group %q: %v, want InvalidParameterException", g, err)
		}
	}
}

package explain

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/identity"
	"github.com/kubeiam/kubeiam/internal/resolve"
)

const developerARN = "arn:aws:iam::111122223333:user/developer"

// rejectedFile is an aws-auth file whose line 5 names the developer and
// whose line 7 broke it.
const rejectedFile = "mapUsers: |\n" +
	"  - userarn: arn:aws:iam::111122223333:user/creator\n" +
	"    username: creator\n" +
	"    groups: [admins]\n" +
	"  - userarn: \"arn:aws:iam::111122223333:user/Developer\"\n" +
	"    username: developer\n" +
	"  - userarn: arn:aws:iam::not-an-account:user/broken\n"

func configMapSnapshot() *resolve.Snapshot {
	return &resolve.Snapshot{Mode: string(access.ModeConfigMap), UseAWSAuth: true}
}

func TestRejectedMentions(t *testing.T) {
	id, err := identity.FromARN(developerARN, acct, "", "")
	if err != nil {
		t.Fatal(err)
	}
	session, err := identity.FromARN("arn:aws:sts::111122223333:assumed-role/ops/alice", acct, "", "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		r    RejectedAWSAuth
		id   identity.Identity
		want string
	}{
		{"a file: its line, letter case ignored", RejectedAWSAuth{Text: rejectedFile}, id, "line 5"},
		{"ConfigMap data: the key and the line in it", RejectedAWSAuth{Data: map[string]string{
			"mapRoles": "- rolearn: arn:aws:iam::111122223333:role/x\n", "mapUsers": "- userarn: " + developerARN + "\n"}}, id, "mapUsers line 1"},
		{"a session: the role's entry, its path ignored", RejectedAWSAuth{Data: map[string]string{
			"mapRoles": "- groups: [a]\n  rolearn: arn:aws:iam::111122223333:role/teams/ops\n"}}, session, "mapRoles line 2"},
		{"another principal with a longer name is not a mention", RejectedAWSAuth{Text: "- userarn: arn:aws:iam::111122223333:user/developer2\n"}, id, ""},
		{"another account is not a mention", RejectedAWSAuth{Text: "- userarn: arn:aws:iam::444455556666:user/developer\n"}, id, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(tt.r.Mentions(tt.id), ", "); got != tt.want {
				t.Errorf("Mentions = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRejectedVersionIsTheCause(t *testing.T) {
	file := "/srv/kubeiam/aws-auth.yaml"
	in := Input{ARN: developerARN, Snapshot: configMapSnapshot(), ClusterName: "prod", AWSAuthFile: file,
		RejectedAWSAuth: []RejectedAWSAuth{{Source: "aws-auth file " + file, File: file, Version: "sha256:0badbadbadbadbad",
			InForce: "sha256:600d600d600d600d", Error: "aws-auth has errors: mapUsers[2] line 5: error invalid-arn: account not-an-account is not 12 digits",
			Text: rejectedFile}}}
	r := Explain(in)
	if r.Code != CodeAWSAuthRejected || r.Verdict != VerdictNotMapped {
		t.Fatalf("code %s verdict %s, want %s not-mapped", r.Code, r.Verdict, CodeAWSAuthRejected)
	}
	var b bytes.Buffer
	if err := WriteText(&b, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "aws-auth-rejected.txt", b.String())

	// Once mapped by the version in force, the rejection is only a warning.
	in.RejectedAWSAuth[0].Text = strings.Replace(rejectedFile, "user/Developer", "user/creator", 1)
	if r := Explain(in); r.Code == CodeAWSAuthRejected || len(r.Findings) != 0 {
		t.Errorf("a rejected version that does not name the caller: %s %+v", r.Code, r.Findings)
	}
	// In API mode aws-auth, rejected or not, does not count.
	in.Snapshot = &resolve.Snapshot{Mode: string(access.ModeAPI), UseAccessEntries: true}
	in.RejectedAWSAuth[0].Text = rejectedFile
	if r := Explain(in); r.Code == CodeAWSAuthRejected {
		t.Errorf("API mode: the cause is the rejected aws-auth, which the mode ignores")
	}
}

// The server reads aws-auth from a file: the fix edits that file, maps
// the caller in a group, and binds the group, so that the request asked
// about succeeds when the commands are pasted.
func TestNotMappedFixForAFileSource(t *testing.T) {
	r := Explain(Input{ARN: developerARN, Snapshot: configMapSnapshot(), ClusterName: "prod", AWSAuthFile: "/srv/aws-auth.yaml",
		Request: getPods("dev")})
	if len(r.Fixes) != 1 {
		t.Fatalf("fixes = %+v, want one", r.Fixes)
	}
	f := r.Fixes[0]
	want := "kubeiam aws-auth add-user -f /srv/aws-auth.yaml --arn " + developerARN + " --username " + developerARN +
		" --groups kubeiam:view && kubectl create rolebinding kubeiam-group-kubeiam-view-view --clusterrole=view --group=kubeiam:view -n dev --dry-run=client -o yaml | kubectl apply -f -"
	if f.Kubeiam != want {
		t.Errorf("kubeiam fix:\n got %s\nwant %s", f.Kubeiam, want)
	}
	if f.Eksctl != "" || f.Kubectl != "" {
		t.Errorf("eksctl and kubectl edit the ConfigMap the server does not read: %q %q", f.Eksctl, f.Kubectl)
	}
}

func TestCacheNote(t *testing.T) {
	at := now.Add(-30 * time.Second)
	last := &Granted{At: at, Username: "dev", Groups: []string{"devs"}}
	tests := []struct {
		name     string
		last     *Granted
		now      time.Time
		mapped   bool
		username string
		groups   []string
		want     bool
	}{
		{"no recent grant", nil, now, false, "", nil, false},
		{"granted 30s ago, not mapped now", last, now, false, "", nil, true},
		{"granted 30s ago as another user", last, now, true, "dev2", []string{"devs"}, true},
		{"granted 30s ago with other groups", last, now, true, "dev", nil, true},
		{"granted 30s ago, the same now", last, now, true, "dev", []string{"devs"}, false},
		{"granted beyond the webhook cache TTL", last, at.Add(WebhookTokenCacheTTL), false, "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, ok := CacheNote(tt.last, tt.now, tt.mapped, tt.username, tt.groups)
			if ok != tt.want || ok && !strings.Contains(msg, `as "dev"`) {
				t.Errorf("CacheNote = %q, %v; want %v", msg, ok, tt.want)
			}
		})
	}
}

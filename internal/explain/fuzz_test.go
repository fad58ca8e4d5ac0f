package explain

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
	"github.com/kubeiam/kubeiam/internal/identity"
)

// FuzzExplainARN explains arbitrary input against every mode: it must
// never panic, and a report always has a verdict and a code.
func FuzzExplainARN(f *testing.F) {
	for _, s := range []string{"arn:aws:sts::111122223333:assumed-role/dev/alice", "arn:aws:iam::111122223333:user/a/b/C",
		"arn:aws:iam::111122223333:group/x", "", "arn:aws:iam::1:root"} {
		f.Add(s, "get", "pods", "dev")
	}
	f.Fuzz(func(t *testing.T, a, verb, resource, ns string) {
		for _, m := range []access.Mode{access.ModeConfigMap, access.ModeAPIAndConfigMap, access.ModeAPI} {
			s, _ := Parts{Mode: m}.Snapshot()
			r := Explain(Input{ARN: a, Snapshot: s, Request: &Request{Verb: verb, Resource: resource, Namespace: ns}})
			if r.Verdict == "" || r.Code == "" {
				t.Fatalf("%q in %s: empty verdict or code: %+v", a, m, r)
			}
		}
	})
}

// FuzzRejectedMentions scans arbitrary rejected aws-auth text: it must
// never panic, and every mention is a line that exists.
func FuzzRejectedMentions(f *testing.F) {
	f.Add(rejectedFile)
	f.Add("arn:arn:arn:")
	f.Add("- rolearn: arn:aws:iam::111122223333:role/a/developer\n")
	id, err := identity.FromARN(developerARN, acct, "", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Count(text, "\n") + 1
		for _, m := range (RejectedAWSAuth{Text: text}).Mentions(id) {
			var n int
			if _, err := fmt.Sscanf(m, "line %d", &n); err != nil || n < 1 || n > lines {
				t.Fatalf("mention %q of a %d-line text", m, lines)
			}
		}
	})
}

package explain

import (
	"testing"

	"github.com/kubeiam/kubeiam/internal/access"
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

package awsauth

import (
	"fmt"
	"testing"

	"github.com/kubeiam/kubeiam/internal/identity"
)

// BenchmarkLookup shows that lookup cost does not grow with the number of
// mappings: compare ns/op across the mappings=N sub-benchmarks.
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{10, 1_000, 100_000} {
		ix := NewIndex(benchDocument(n))
		mid := n/2 + 1 // not a multiple of 10, so an exact rolearn entry
		callers := []struct {
			name string
			id   identity.Identity
			hit  bool
		}{
			{"exact", mustIdentity(b, fmt.Sprintf("arn:aws:sts::%s:assumed-role/Role%d/session", benchAccount(mid), mid)), true},
			{"sso", mustIdentity(b, fmt.Sprintf("arn:aws:sts::%s:assumed-role/AWSReservedSSO_Set%d_0123456789abcdef/session", benchAccount(0), 0)), true},
			{"miss", mustIdentity(b, "arn:aws:sts::999999999999:assumed-role/Nobody/session"), false},
		}
		for _, c := range callers {
			b.Run(fmt.Sprintf("mappings=%d/%s", n, c.name), func(b *testing.B) {
				for b.Loop() {
					if _, ok := ix.Lookup(c.id); ok != c.hit {
						b.Fatalf("Lookup hit = %v, want %v", ok, c.hit)
					}
				}
			})
		}
	}
}

// benchDocument returns n role mappings over 1,000 accounts, one in ten an
// sso permission set, the others role ARNs with a path.
func benchDocument(n int) *Document {
	doc := &Document{Roles: make([]RoleMapping, 0, n)}
	for i := range n {
		if i%10 == 0 {
			doc.Roles = append(doc.Roles, RoleMapping{SSO: &SSOMapping{PermissionSetName: fmt.Sprintf("Set%d", i), AccountID: benchAccount(i)}, Username: "sso:{{SessionName}}"})
			continue
		}
		doc.Roles = append(doc.Roles, RoleMapping{RoleARN: fmt.Sprintf("arn:aws:iam::%s:role/team/Role%d", benchAccount(i), i), Username: "u:{{SessionName}}", Groups: []string{"g"}})
	}
	return doc
}

func benchAccount(i int) string { return fmt.Sprintf("%012d", 100000000000+i%1000) }

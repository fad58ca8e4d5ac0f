package explain

import (
	"reflect"
	"testing"
)

// The server explains without RBAC, and the CLI adds the live cluster's:
// the result is the explanation made with that RBAC in the first place.
func TestApplyRBACEqualsExplainingWithIt(t *testing.T) {
	seen := 0
	for _, tt := range explainCases() {
		p := tt.parts(t)
		if p.RBAC == nil || tt.req == nil {
			continue
		}
		seen++
		t.Run(tt.name, func(t *testing.T) {
			with := run(t, p, tt.arn, tt.req)
			rbac := p.RBAC
			p.RBAC = nil
			without := run(t, p, tt.arn, tt.req)
			got := ApplyRBAC(without, rbac, "live (context test)", "prod")
			with.RBACSource = "live (context test)"
			if !reflect.DeepEqual(got, with) {
				t.Errorf("ApplyRBAC:\n got %+v\nwant %+v", got, with)
			}
		})
	}
	if seen < 2 {
		t.Fatalf("%d cases with RBAC and a request, want at least 2", seen)
	}
}

func TestApplyRBACWithoutRBACOnlySaysWhy(t *testing.T) {
	tt := explainCases()[0]
	r := run(t, tt.parts(t), tt.arn, tt.req)
	got := ApplyRBAC(r, nil, "none: no kubeconfig", "prod")
	r.RBACSource = "none: no kubeconfig"
	if !reflect.DeepEqual(got, r) {
		t.Errorf("ApplyRBAC(nil) changed the report:\n got %+v\nwant %+v", got, r)
	}
}

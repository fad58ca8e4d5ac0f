package access

import (
	"reflect"
	"testing"

	"github.com/kubeiam/kubeiam/internal/arn"
	"github.com/kubeiam/kubeiam/internal/authz"
)

func TestSnapshotLookup(t *testing.T) {
	sso := standardEntry(t, "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123")
	alice := standardEntry(t, "arn:aws:iam::111122223333:user/alice")
	key := func(e AccessEntry) string { k, _ := EntryKey(e.PrincipalARN); return k }
	scope := authz.Scope{Type: authz.ScopeNamespace, Namespaces: []string{"dev"}}
	snap := Snapshot{
		Entries: map[string]AccessEntry{key(sso): sso, key(alice): alice},
		Associations: map[string][]AccessPolicyAssociation{
			key(sso): {{PrincipalARN: sso.PrincipalARN, PolicyARN: authz.EditPolicyARN, Scope: scope}},
		},
	}
	tests := []struct {
		caller string
		want   AccessEntry
		grants []authz.Grant
		ok     bool
	}{
		{"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com", sso,
			[]authz.Grant{{PolicyARN: authz.EditPolicyARN, Scope: scope}}, true},
		{"arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123", sso, []authz.Grant{{PolicyARN: authz.EditPolicyARN, Scope: scope}}, true},
		{"arn:aws:iam::111122223333:user/ALICE", alice, nil, true},
		{"arn:aws:iam::444455556666:user/alice", AccessEntry{}, nil, false},
		{"arn:aws:iam::111122223333:role/alice", AccessEntry{}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.caller, func(t *testing.T) {
			p, err := arn.Parse(tt.caller)
			if err != nil {
				t.Fatal(err)
			}
			got, grants, ok := snap.Lookup(p)
			if ok != tt.ok || !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(grants, tt.grants) {
				t.Errorf("Lookup = %+v, %+v, %v; want %+v, %+v, %v", got, grants, ok, tt.want, tt.grants, tt.ok)
			}
		})
	}
}

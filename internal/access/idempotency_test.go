package access

import (
	"testing"
	"time"
)

func TestCreateDigest(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	digestOf := func(req CreateEntryRequest) string {
		t.Helper()
		e, err := NewEntry(req, "prod", "eu-west-1", "111122223333", now)
		if err != nil {
			t.Fatal(err)
		}
		d, err := CreateDigest(e)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	dev := "arn:aws:iam::111122223333:role/dev"
	first := digestOf(CreateEntryRequest{PrincipalARN: dev, KubernetesGroups: []string{"b", "a"}, Tags: map[string]string{"t": "1", "u": "2"}})
	tests := []struct {
		name string
		req  CreateEntryRequest
		same bool
	}{
		{"same request, groups in another order", CreateEntryRequest{PrincipalARN: dev, KubernetesGroups: []string{"a", "b"}, Tags: map[string]string{"u": "2", "t": "1"}}, true},
		// The same entry: the default username leaves out the path.
		{"same principal with a path", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/x/dev", KubernetesGroups: []string{"a", "b"}, Tags: map[string]string{"t": "1", "u": "2"}}, true},
		{"another principal", CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/ops", KubernetesGroups: []string{"a", "b"}, Tags: map[string]string{"t": "1", "u": "2"}}, false},
		{"other groups", CreateEntryRequest{PrincipalARN: dev, KubernetesGroups: []string{"a"}, Tags: map[string]string{"t": "1", "u": "2"}}, false},
		{"other tags", CreateEntryRequest{PrincipalARN: dev, KubernetesGroups: []string{"a", "b"}, Tags: map[string]string{"t": "2", "u": "2"}}, false},
		{"a username", CreateEntryRequest{PrincipalARN: dev, KubernetesGroups: []string{"a", "b"}, Tags: map[string]string{"t": "1", "u": "2"}, Username: "dev"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := digestOf(tt.req) == first; got != tt.same {
				t.Errorf("same digest = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestReplayedUpdate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e, err := NewEntry(CreateEntryRequest{PrincipalARN: "arn:aws:iam::111122223333:role/dev"}, "prod", "eu-west-1", "111122223333", now)
	if err != nil {
		t.Fatal(err)
	}
	ops := []string{"ops"}
	first := UpdateEntryRequest{KubernetesGroups: &ops, ClientRequestToken: "t1"}
	updated, err := UpdateEntry(e, first, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	empty, none := []string{}, ""
	tests := []struct {
		name    string
		req     UpdateEntryRequest
		done    bool
		refused bool
	}{
		{"the same request sent again", UpdateEntryRequest{KubernetesGroups: &[]string{"ops"}, ClientRequestToken: "t1"}, true, false},
		{"another token", UpdateEntryRequest{KubernetesGroups: &ops, ClientRequestToken: "t2"}, false, false},
		{"no token", UpdateEntryRequest{KubernetesGroups: &ops}, false, false},
		{"the token with other groups", UpdateEntryRequest{KubernetesGroups: &empty, ClientRequestToken: "t1"}, false, true},
		{"the token with a username too", UpdateEntryRequest{KubernetesGroups: &ops, Username: &none, ClientRequestToken: "t1"}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, err := ReplayedUpdate(updated, tt.req)
			if done != tt.done || (err != nil) != tt.refused || (err != nil && TypeOf(err) != InvalidRequestException) {
				t.Errorf("ReplayedUpdate = %v, %v; want done=%v refused=%v", done, err, tt.done, tt.refused)
			}
		})
	}
	t.Run("the entry remembers the latest tokens only", func(t *testing.T) {
		cur := updated
		for i := range MaxUpdateTokens {
			if cur, err = UpdateEntry(cur, UpdateEntryRequest{KubernetesGroups: &ops, ClientRequestToken: string(rune('a' + i))}, now); err != nil {
				t.Fatal(err)
			}
		}
		if len(cur.UpdateTokens) != MaxUpdateTokens || cur.UpdateTokens[0].Token != "a" {
			t.Fatalf("UpdateTokens = %+v", cur.UpdateTokens)
		}
		if done, err := ReplayedUpdate(cur, first); done || err != nil {
			t.Errorf("the oldest token, dropped: ReplayedUpdate = %v, %v", done, err)
		}
		if len(updated.UpdateTokens) != 1 {
			t.Errorf("UpdateEntry modified its input's tokens: %+v", updated.UpdateTokens)
		}
	})
}

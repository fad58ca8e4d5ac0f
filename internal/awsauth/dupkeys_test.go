package awsauth

import (
	"errors"
	"testing"
)

// Issue 10 item 8: two mapRoles keys were silently resolved to one of them.
func TestCheckDuplicateKeys(t *testing.T) {
	tests := []struct {
		name        string
		content     string
		key         string
		line, first int
	}{
		{"bare data map", "mapRoles: |\n  - rolearn: a\nmapUsers: '[]'\nmapRoles: |\n  - rolearn: b\n", "mapRoles", 4, 1},
		{"inside a ConfigMap's data", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\ndata:\n  mapRoles: |\n    - rolearn: a\n  mapRoles: |\n    - rolearn: b\n", "mapRoles", 8, 6},
		{"two data keys", "apiVersion: v1\nkind: ConfigMap\ndata: {}\ndata:\n  mapRoles: ''\n", "data", 4, 3},
		{"json", `{"mapUsers": "[]",` + "\n" + `"mapUsers": "[]"}`, "mapUsers", 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDuplicateKeys([]byte(tt.content))
			var de *DuplicateKeyError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a DuplicateKeyError", err)
			}
			if de.Key != tt.key || de.Line != tt.line || de.First != tt.first {
				t.Errorf("got %+v, want key %s line %d first %d", de, tt.key, tt.line, tt.first)
			}
		})
	}
	for _, ok := range []string{"mapRoles: ''\nmapUsers: ''\n", "apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles: ''\n", "{", ""} {
		if err := CheckDuplicateKeys([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

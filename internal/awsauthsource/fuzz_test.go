package awsauthsource

import "testing"

// FuzzDecodeFile: whatever a user writes to the aws-auth file, decoding
// fails cleanly or yields data, never panics.
func FuzzDecodeFile(f *testing.F) {
	for _, seed := range []string{
		bareFile(rolesAdmin),
		manifestFile(rolesAdmin, usersAlice),
		`{"apiVersion":"v1","kind":"ConfigMap","data":{"mapRoles":"[]"}}`,
		"{}", "", "- a", "kind: 1", "apiVersion: [", "data: {mapRoles: 1}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		if _, err := decodeFile(content); err == nil && len(content) == 0 {
			t.Fatal("empty file accepted")
		}
	})
}

package awsauthsource

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodeFile decodes an aws-auth file with 100,000 mapRoles
// entries, shaped as bench/authbench writes it (a bare data map, the list
// in a literal block). Compare B/op across commits.
func BenchmarkDecodeFile(b *testing.B) {
	var s strings.Builder
	s.WriteString("mapRoles: |\n")
	for i := range 100_000 {
		fmt.Fprintf(&s, "  - rolearn: arn:aws:iam::111122223333:role/bench-role-%d\n    username: bench-%d:{{SessionName}}\n    groups: [bench]\n", i, i)
	}
	content := []byte(s.String())
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		data, err := decodeFile(content)
		if err != nil || len(data["mapRoles"]) == 0 {
			b.Fatalf("decodeFile: %v", err)
		}
	}
}

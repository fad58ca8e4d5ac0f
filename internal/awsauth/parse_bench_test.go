package awsauth

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkParseIndex parses and indexes an aws-auth with 100,000 mapRoles
// entries shaped as bench/authbench writes them (a role ARN, a templated
// username, one group). Compare B/op and allocs/op across commits; live-MiB
// is the heap the index keeps once the document is dropped, as the server
// drops it.
func BenchmarkParseIndex(b *testing.B) {
	data := map[string]string{KeyMapRoles: benchMapRoles(100_000)}
	live := indexLiveMiB(data)
	b.SetBytes(int64(len(data[KeyMapRoles])))
	for b.Loop() {
		doc, ps, err := Parse(data)
		if err != nil || ps.HasErrors() {
			b.Fatalf("Parse: %v %v", err, ps)
		}
		NewIndex(doc)
	}
	b.ReportMetric(live, "live-MiB")
}

// indexLiveMiB returns the heap an index of data keeps once its document
// is dropped. Measured outside the benchmark loop, which keeps the values
// of its last iteration alive.
func indexLiveMiB(data map[string]string) float64 {
	before := liveHeap()
	doc, _, _ := Parse(data)
	ix := NewIndex(doc)
	after := liveHeap()
	runtime.KeepAlive(ix)
	return float64(after-before) / (1 << 20)
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// benchMapRoles returns n mapRoles entries as bench/authbench writes them.
func benchMapRoles(n int) string {
	var s strings.Builder
	for i := range n {
		fmt.Fprintf(&s, "- rolearn: arn:aws:iam::111122223333:role/bench-role-%d\n  username: bench-%d:{{SessionName}}\n  groups: [bench]\n", i, i)
	}
	return s.String()
}

package awsauthedit

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	before := map[string]string{
		"a":    "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
		"gone": "x\n",
		"same": "s\n",
	}
	after := map[string]string{
		"a":    "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13",
		"new":  "n\n",
		"same": "s\n",
	}
	want := `--- a/data.a
+++ b/data.a
@@ -1,6 +1,6 @@
 1
 2
-3
+three
 4
 5
 6
@@ -10,3 +10,4 @@
 10
 11
 12
+13
\ No newline at end of file
--- a/data.gone
+++ /dev/null
@@ -1 +0,0 @@
-x
--- /dev/null
+++ b/data.new
@@ -0,0 +1 @@
+n
`
	if got := Diff(before, after); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := Diff(before, before); got != "" {
		t.Errorf("equal data: %q", got)
	}
}

func TestDiffLargeFallsBack(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 3000; i++ {
		a.WriteString("a\n")
		b.WriteString("b\n")
	}
	got := Diff(map[string]string{"k": a.String()}, map[string]string{"k": b.String()})
	if strings.Count(got, "\n-a") != 3000 || strings.Count(got, "\n+b") != 3000 {
		t.Errorf("fallback diff has %d removals, %d additions", strings.Count(got, "\n-a"), strings.Count(got, "\n+b"))
	}
}

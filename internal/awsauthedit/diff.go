package awsauthedit

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change, as in
// diff -u.
const diffContext = 3

// maxEditDistance bounds the work of the line diff: past it (a restore that
// rewrites a large ConfigMap, say) a key is shown as removed and added whole.
const maxEditDistance = 1000

// Diff returns a unified diff of two versions of the ConfigMap data, one
// file per changed key named data.KEY, in key order; "" when they are equal.
func Diff(before, after map[string]string) string {
	var b strings.Builder
	for _, k := range changedKeys(before, after) {
		from, to := "a/data."+k, "b/data."+k
		if _, ok := before[k]; !ok {
			from = "/dev/null"
		}
		if _, ok := after[k]; !ok {
			to = "/dev/null"
		}
		fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
		writeHunks(&b, diffLines(splitLines(before[k]), splitLines(after[k])))
	}
	return b.String()
}

// splitLines splits s into lines without their newline; a final line
// without one is marked, as diff does.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if t, ok := strings.CutSuffix(l, "\n"); ok {
			lines[i] = t
		} else {
			lines[i] = l + "\n\\ No newline at end of file"
		}
	}
	return lines
}

// op is one line of an edit script: ' ' kept, '-' removed, '+' added.
type op struct {
	kind byte
	text string
}

// diffLines returns a shortest edit script from a to b (Myers' algorithm).
func diffLines(a, b []string) []op {
	n, m := len(a), len(b)
	max := n + m
	if max > maxEditDistance {
		max = maxEditDistance
	}
	offset := max + 1
	v := make([]int, 2*max+3)
	var trace [][]int
	for d := 0; d <= max; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = v[offset+k+1]
			} else {
				x = v[offset+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[offset+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, offset, d, k)
			}
		}
	}
	ops := make([]op, 0, n+m)
	for _, l := range a {
		ops = append(ops, op{'-', l})
	}
	for _, l := range b {
		ops = append(ops, op{'+', l})
	}
	return ops
}

// backtrack walks the trace of diffLines back from (d, k) to the start.
func backtrack(a, b []string, trace [][]int, offset, d, k int) []op {
	x, y := len(a), len(b)
	var rev []op
	for ; d > 0; d-- {
		v := trace[d]
		var prevK int
		if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[offset+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, op{' ', a[x]})
		}
		if x == prevX {
			y--
			rev = append(rev, op{'+', b[y]})
		} else {
			x--
			rev = append(rev, op{'-', a[x]})
		}
		k = prevK
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, op{' ', a[x]})
	}
	ops := make([]op, len(rev))
	for i, o := range rev {
		ops[len(rev)-1-i] = o
	}
	return ops
}

// writeHunks writes the edit script as unified-diff hunks.
func writeHunks(b *strings.Builder, ops []op) {
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*diffContext {
				end = min(end+diffContext, run)
				break
			}
			end = run
		}
		aStart, bStart := lineNumbers(ops[:start])
		aLen, bLen := lineNumbers(ops[start:end])
		fmt.Fprintf(b, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, o := range ops[start:end] {
			b.WriteByte(o.kind)
			b.WriteString(o.text)
			b.WriteByte('\n')
		}
		i = end
	}
}

// lineNumbers counts the lines of a and of b in ops.
func lineNumbers(ops []op) (int, int) {
	na, nb := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			na++
		}
		if o.kind != '-' {
			nb++
		}
	}
	return na, nb
}

// hunkRange formats a hunk's start (0-based count before it) and length.
func hunkRange(before, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", before)
	case 1:
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, n)
}

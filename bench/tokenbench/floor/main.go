// Command floor is the benchmark's floor: the least a Go exec plugin can
// do, print a file (a cached ExecCredential), with nothing else linked.
package main

import (
	"os"
)

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.Write(b)
}

package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's table of the dev server's files names every variable
// dev.env exports, so that a variable the tour uses ($KUBEIAM_AWS_ENDPOINT)
// is never one the reader cannot look up.
func TestREADMENamesEveryDevEnvVariable(t *testing.T) {
	d := startDev(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `dev.env` |") {
			row = line
		}
	}
	if row == "" {
		t.Fatal("README.md has no row for dev.env in the dev server's table")
	}
	for k := range d.env {
		if !strings.Contains(row, "`"+k+"`") && !strings.Contains(row, "`"+k+"=") {
			t.Errorf("README's dev.env row does not name %s, which dev.env exports", k)
		}
	}
}

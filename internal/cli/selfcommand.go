package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// selfCommand is how the guided tour spells kubeiam so that its commands
// work from any directory: "kubeiam" when that name on PATH is this very
// binary, else the binary's absolute path; under "go run", whose binary is
// deleted on exit, "go -C MODULE run ./cmd/kubeiam" with the module's
// absolute directory.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "kubeiam"
	}
	wd, _ := os.Getwd()
	return spellSelf(exe, wd, exec.LookPath)
}

// spellSelf is selfCommand with the process's facts passed in; it extends
// lab's selfSpelling with the module directory under go run.
func spellSelf(exe, wd string, lookPath func(string) (string, error)) string {
	s := selfSpelling(exe, lookPath)
	switch {
	case s == "kubeiam":
		return s
	case strings.HasPrefix(s, "go run "):
		if mod := moduleRoot(wd); mod != "" {
			return "go -C " + shellWord(mod) + " run ./cmd/kubeiam"
		}
		return s
	}
	return shellWord(s)
}

// moduleRoot is the directory of the kubeiam module's go.mod at or above
// dir, or "" when dir is not inside it.
func moduleRoot(dir string) string {
	for dir != "" {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/kubeiam/kubeiam\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return ""
}

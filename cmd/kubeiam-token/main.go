// Command kubeiam-token is kubectl's exec credential plugin for kubeiam,
// built to start fast: kubectl runs it for every command, and a cached
// token is printed without loading the AWS SDK, client-go or anything of
// the server. On a cache miss it hands over to "kubeiam token" (the kubeiam
// binary next to this one, else the one on PATH), which takes the same
// arguments, mints the token and caches it.
//
// Its import graph is kept small on purpose; deps_test.go fails if a heavy
// package creeps in.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/kubeiam/kubeiam/internal/tokenplugin"
)

func main() {
	s := tokenplugin.FastIO{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, Now: time.Now}
	outcome, code := tokenplugin.Fast(s, os.Args[1:])
	if outcome == tokenplugin.Done {
		os.Exit(code)
	}
	if err := mint(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

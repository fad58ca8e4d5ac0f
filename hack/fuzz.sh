#!/usr/bin/env bash
# Runs every Fuzz target in the module for the given time each (default 10s).
#
#   hack/fuzz.sh [FUZZTIME] [MINIMIZETIME]
#
# MINIMIZETIME (default 100x: a hundred executions) bounds how long a new
# interesting input is minimised: Go's default is 60s, which made short runs
# spend most of their time minimising rather than fuzzing.
set -euo pipefail
t=${1:-10s}
min=${2:-100x}
n=0
for pkg in $(go list ./...); do
  for f in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "== $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime "$min" "$pkg"
    n=$((n + 1))
  done
done
echo "fuzzed $n targets for $t each"

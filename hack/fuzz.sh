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
    # Go's fuzzing engine can end a very short run with a bare "context
    # deadline exceeded" when the time runs out while its workers are still
    # gathering baseline coverage: nothing failed and no input is written.
    # Only that case is run again, once, for longer; any real failure (a
    # crash, a failing input in testdata/fuzz) fails at once.
    if ! out=$(go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime "$min" "$pkg" 2>&1); then
      echo "$out"
      if grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
        echo "== $pkg $f: the run ended before fuzzing began; once more, for 10s"
        go test -run '^$' -fuzz "^$f\$" -fuzztime 10s -fuzzminimizetime "$min" "$pkg"
      else
        exit 1
      fi
    else
      echo "$out"
    fi
    n=$((n + 1))
  done
done
echo "fuzzed $n targets for $t each"

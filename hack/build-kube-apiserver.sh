#!/usr/bin/env bash
# Builds the kube-apiserver the end-to-end tests (test/e2e) run against, from
# the separate module in hack/kube-apiserver, and prints the binary's path.
#
# The binary is cached outside the repository, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam/kube-apiserver-<version>
# and built only when missing (about 5 minutes on two cores from an empty
# build cache). The build writes to a temporary file and renames it, so an
# interrupted or concurrent build never leaves a half-written binary behind.
#
#   hack/build-kube-apiserver.sh          build when missing, print the path
#   hack/build-kube-apiserver.sh --path   print the path only, never build
set -euo pipefail

moddir="$(cd "$(dirname "$0")/kube-apiserver" && pwd)"
version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$moddir/go.mod")"
if [[ ! "$version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  echo "build-kube-apiserver: cannot read the k8s.io/kubernetes version from $moddir/go.mod" >&2
  exit 1
fi
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
cachedir="${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam"
out="$cachedir/kube-apiserver-$version"

if [ "${1:-}" = "--path" ] || [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cachedir"
tmp="$(mktemp "$out.tmp.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
echo "build-kube-apiserver: building kube-apiserver $version (a few minutes)" >&2
start=$SECONDS
# -mod=mod: the module is deliberately never tidied (see its go.mod), so let
# the go command complete go.sum. GOWORK=off: a go.work elsewhere must not
# pull this module into the main one.
(
  cd "$moddir"
  GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor" \
    -o "$tmp" k8s.io/kubernetes/cmd/kube-apiserver
)
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "build-kube-apiserver: built $out in $((SECONDS - start))s" >&2
echo "$out"

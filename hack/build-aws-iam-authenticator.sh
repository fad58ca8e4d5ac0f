#!/usr/bin/env bash
# Builds aws-iam-authenticator from its released source (the Go module proxy
# serves it as the module sigs.k8s.io/aws-iam-authenticator) and prints the
# binary's path. The benchmark (bench/authbench, "make bench-server")
# measures kubeiam against it on the same tokens and the same local STS; the
# cross-client token tests (internal/localsts) mint tokens with it: v0.6.27
# is the last release that signs X-Amz-Expires=0 (fixed by
# kubernetes-sigs/aws-iam-authenticator PR #753, first released in v0.6.28),
# v0.7.18 a current one.
#
# The binary is cached outside the repository, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam/aws-iam-authenticator-<version>
# and built only when missing (a few minutes on two cores).
#
#   hack/build-aws-iam-authenticator.sh [version]          build when missing, print the path
#   hack/build-aws-iam-authenticator.sh [version] --path   print the path only, never build
#
# The default version is v0.7.18, the newest release the module proxy
# serves (go list -m -versions sigs.k8s.io/aws-iam-authenticator).
set -euo pipefail
version=v0.7.18
path_only=
for arg in "$@"; do
  case "$arg" in
    --path) path_only=1 ;;
    v*) version=$arg ;;
    *) echo "usage: $0 [vX.Y.Z] [--path]" >&2; exit 2 ;;
  esac
done
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam
bin=$cache/aws-iam-authenticator-$version
if [[ -n $path_only || -x $bin ]]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
# go mod download needs a module context to write nothing into: run it
# outside any module.
dir=$(cd "$work" && GOWORK=off GOFLAGS= go mod download -json "sigs.k8s.io/aws-iam-authenticator@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z $dir ]]; then
  echo "go mod download sigs.k8s.io/aws-iam-authenticator@$version failed" >&2
  exit 1
fi
# The module cache is read-only; build from a copy, resolving its
# dependencies through the module proxy (GOFLAGS=-mod=mod: the release has
# no vendor directory in the module zip).
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
echo "building aws-iam-authenticator $version (a few minutes)..." >&2
(cd "$work/src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin.tmp" ./cmd/aws-iam-authenticator)
mv "$bin.tmp" "$bin"
echo "$bin"

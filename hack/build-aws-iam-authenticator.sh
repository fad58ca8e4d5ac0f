#!/usr/bin/env bash
# Builds aws-iam-authenticator VERSION from the Go module proxy and prints the
# binary's path. The cross-client token tests (internal/localsts) and the
# benchmark (bench/) use it: v0.6.27 is the last release that signs
# X-Amz-Expires=0 (fixed by kubernetes-sigs/aws-iam-authenticator PR #753,
# first released in v0.6.28), v0.7.18 a current one.
#
# The module is built as a main module, in a copy of its directory, because
# its go.mod has replace directives that "go install pkg@version" refuses.
# The binary is cached outside the repository, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam/aws-iam-authenticator-<version>
# and built only when missing.
#
#   hack/build-aws-iam-authenticator.sh v0.7.18          build when missing, print the path
#   hack/build-aws-iam-authenticator.sh v0.7.18 --path   print the path only, never build
set -euo pipefail

version=${1:-}
if [[ ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "usage: $0 vX.Y.Z [--path]" >&2
	exit 2
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam"
bin="$cache/aws-iam-authenticator-$version"
if [[ ${2:-} == --path ]]; then
	echo "$bin"
	exit 0
fi
if [[ -x $bin ]]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache"
module=sigs.k8s.io/aws-iam-authenticator
dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [[ -z $dir || ! -d $dir ]]; then
	echo "$0: go mod download $module@$version gave no module directory" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -R "$dir/." "$work/src"
chmod -R u+w "$work/src"
echo "building $module $version (once; cached in $bin)" >&2
(cd "$work/src" && GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X $module/pkg.Version=$version" -o "$work/aws-iam-authenticator" ./cmd/aws-iam-authenticator)
mv "$work/aws-iam-authenticator" "$bin"
echo "$bin"

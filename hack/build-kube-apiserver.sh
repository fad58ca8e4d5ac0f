#!/usr/bin/env bash
# Builds the kube-apiserver the end-to-end tests (test/e2e) and "kubeiam lab"
# run against, and prints the binary's path. The build itself is kubeiam's
# (internal/lab/kubeapiserver: an embedded Go module, built in a temporary
# directory); this script only runs it from the source tree.
#
# The binary is cached outside the repository, keyed by version:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam/kube-apiserver-<version>
# and built only when missing (about 5 minutes on two cores from an empty
# build cache).
#
#   hack/build-kube-apiserver.sh          build when missing, print the path
#   hack/build-kube-apiserver.sh --path   print the path only, never build
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./cmd/kubeiam lab build-apiserver "$@"

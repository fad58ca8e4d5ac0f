#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3's SigV4 presigner (@smithy/signature-v4,
# the signer every v3 client uses, with @smithy/protocol-http and
# @aws-crypto/sha256-js) from the npm registry, for the cross-client token
# tests (internal/localsts), and prints the node_modules directory.
#
# Cached outside the repository, keyed by the pinned versions:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam/js-presigner-<versions>/node_modules
#
#   hack/install-js-presigner.sh          install when missing, print the path
#   hack/install-js-presigner.sh --path   print the path only, never install
set -euo pipefail

packages=("@smithy/signature-v4@5.7.5" "@smithy/protocol-http@5.6.2" "@aws-crypto/sha256-js@5.2.0")
key=$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-12)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kubeiam"
dir="$cache/js-presigner-$key"
if [[ ${1:-} == --path ]]; then
	echo "$dir/node_modules"
	exit 0
fi
if [[ -f $dir/.complete ]]; then
	echo "$dir/node_modules"
	exit 0
fi
if ! command -v npm >/dev/null; then
	echo "$0: npm is not installed (apt-get install -y npm)" >&2
	exit 1
fi
mkdir -p "$dir"
echo "installing ${packages[*]} (once; cached in $dir)" >&2
(cd "$dir" && echo '{"private":true}' >package.json &&
	npm install --no-audit --no-fund --no-package-lock --save-exact "${packages[@]}" >&2)
touch "$dir/.complete"
echo "$dir/node_modules"

#!/usr/bin/env bash
# Installs the third-party programs the test suite drives, when missing:
# the AWS CLI v2 (/usr/bin/aws, Debian package awscli) and etcd (Debian
# package etcd-server), and chromium for the console's browser tests (Debian
# package chromium), and npm for the JavaScript presigner of the cross-client
# token test (hack/install-js-presigner.sh). Needs root, as on the project's CI machines; without
# root it says what to install and fails.
set -euo pipefail

missing=()
[ -x /usr/bin/aws ] || missing+=(awscli)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "ensure-tools: missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "ensure-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

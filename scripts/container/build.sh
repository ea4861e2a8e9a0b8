#!/usr/bin/env bash
# Builds the Dockerfile with podman into localhost/kmsecret-fn:dev (or
# $KMSECRET_IMAGE), after setup.sh. Does nothing when the image was built from
# the same inputs: the Dockerfile, every file its COPY lines name, and the base
# images (their IDs). Prints the image name on stdout.
#
#   scripts/container/build.sh && eval "$(scripts/container/env.sh)" &&
#     podman run --rm -i localhost/kmsecret-fn:dev < resource-list.yaml
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
image=${KMSECRET_IMAGE:-localhost/kmsecret-fn:dev}
eval "$("$here/env.sh")"
# One build at a time (CI starts one early; the container tests ask again).
exec 9>"$KMSECRET_CACHE/containers/build.lock"
flock 9
"$here/setup.sh"
cd "$repo"

t0=$(date +%s.%N)
inputs() {
  sha256sum Dockerfile
  # COPY sources (not --from=…): the last word of each COPY is its destination.
  sed -n '/^COPY /{/--from=/!p}' Dockerfile | while read -r -a words; do
    for src in "${words[@]:1:${#words[@]}-2}"; do
      [[ $src == --* ]] && continue
      find "$src" -type f -print0 | sort -z | xargs -0 sha256sum
    done
  done
  sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile | while read -r base; do
    printf '%s %s\n' "$(podman image inspect --format '{{.Id}}' "$base")" "$base"
  done
}
hash=$(inputs | sha256sum | cut -c1-16)
built=$(podman image inspect --format '{{index .Config.Labels "dev.kmsecret.inputs"}}' "$image" 2>/dev/null || true)
if [ "$built" = "$hash" ]; then
  printf 'build: %-12s %6.1fs  %s\n' image "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "up to date ($hash)" >&2
else
  old=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  # --network host: npm ci in the build stage reaches the registry.
  # KMSECRET_BUILD_LAYERS=false (CI, where every build is the first) skips
  # committing each step as a cache layer: about 6 s faster, nothing to reuse.
  podman build --quiet --pull=never --isolation chroot --network host --layers="${KMSECRET_BUILD_LAYERS:-true}" \
    --label "dev.kmsecret.inputs=$hash" -t "$image" -f Dockerfile . >/dev/null
  # The previous build of the image, now untagged. (Not `image prune`: that
  # would take the build stage's cached layers too.)
  [ -z "$old" ] || podman image rm "$old" >/dev/null 2>&1 || true
  printf 'build: %-12s %6.1fs  %s\n' image "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" "built $image ($hash)" >&2
fi
printf '%s\n' "$image"

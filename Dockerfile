# kmsecret-fn as a KRM container function (kpt fn eval --image, kustomize `container:`).
#
# Build stage: the same `npm ci` and `npm run build` the tests use, so the
# image runs the very dist/kmsecret-fn.mjs that the end-to-end tests run
# (test/e2e/bin/docker reads the ENTRYPOINT below to find it).
# scripts/container/build.sh builds this with podman and no registry
# (stand-ins for both base images); test/e2e/container.test.ts runs the result.
FROM docker.io/library/node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY schemas ./schemas
COPY functions ./functions
RUN npm run build

# Run stage: distroless Node.js 24 — no shell, no package manager, non-root
# (uid 65532). The function writes nothing to disk, so a read-only root file
# system is fine. KMS is reachable only if the orchestrator gives the container
# network and credentials (kpt: --network --env; kustomize: network: true, envs:).
FROM gcr.io/distroless/nodejs24-debian12:nonroot
LABEL org.opencontainers.image.title="kmsecret-fn" \
      org.opencontainers.image.description="KRM function: decrypts kmsecret values (AWS KMS, age) when kpt or kustomize renders" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /src/dist /app/dist
USER 65532:65532
ENV NODE_ENV=production
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/kmsecret-fn.mjs"]

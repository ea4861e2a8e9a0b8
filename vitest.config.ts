import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    // End-to-end tests run kpt, kustomize and moto for real. No test depends on how long
    // anything takes: these limits only stop a hang from stalling CI, far above what the
    // slowest test needs on a busy machine of this kind.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});

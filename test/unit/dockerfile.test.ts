// The image: multi-stage, distroless (no shell), non-root, and the entrypoint is
// the dist/kmsecret-fn.mjs the end-to-end tests run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/run.js';

it('the Dockerfile builds in one stage and runs distroless, non-root, without a shell', () => {
  const text = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const stages = text.split(/^FROM /m).slice(1);
  expect(stages.length).toBeGreaterThanOrEqual(2);
  const final = stages[stages.length - 1] as string;
  expect(final).toMatch(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot/);
  expect(final).not.toMatch(/^RUN /m);
  expect(final).toMatch(/^USER 65532:65532$/m);
  expect(final).toMatch(/^COPY --from=build \/src\/dist \/app\/dist$/m);
  expect(final).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/kmsecret-fn\.mjs"\]$/m);
  expect(stages[0]).toMatch(/RUN npm ci/);
  expect(stages[0]).toMatch(/RUN npm run build/);
});

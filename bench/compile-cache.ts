// Node's module compile cache (NODE_COMPILE_CACHE, Node 22.1+): the same
// kmsecret-fn on Node 24 with and without it, on an empty ResourceList and on one
// KmsSecret (where the AWS SDK's chunks load). kmsecret does not turn the cache
// on itself: the cache is V8 code read back into the process that holds the
// plaintext, so where it lives is the pipeline's decision (a directory only
// its own user can write), not a default under a shared /tmp.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyProvider } from '../functions/providers/provider.js';
import type { KmsTestServer } from '../test/kms-server/server.js';
import { fnPath, log, type Options, root } from './context.js';
import { kmsSecrets, resourceList } from './generate.js';
import { interleave, measure, type Timed } from './measure.js';

export interface CompileCacheRow {
  node: string;
  input: string;
  without: Timed;
  with: Timed;
}

export async function compileCache(
  server: KmsTestServer,
  provider: KeyProvider,
  keyId: string,
  env: NodeJS.ProcessEnv,
  o: Options,
): Promise<CompileCacheRow[]> {
  const found = spawnSync('bash', [join(root, 'scripts', 'container', 'node.sh'), '24'], { encoding: 'utf8' });
  const node = found.stdout.trim();
  if (found.status !== 0 || node === '') {
    log('Node.js 24 not available: compile cache case skipped');
    return [];
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  server.faults = {};
  const one = resourceList((await kmsSecrets(provider, keyId, 1)).items);
  const cache = mkdtempSync(join(tmpdir(), 'kmsecret-bench-compile-cache-'));
  const cached = { ...env, NODE_COMPILE_CACHE: cache };
  const rows: CompileCacheRow[] = [];
  try {
    for (const [input, stdin] of [
      ['empty ResourceList', resourceList([])],
      ['1 KmsSecret (AWS SDK loaded)', one],
    ] as const) {
      // The first run with the variable fills the cache.
      await measure(node, [fnPath], { stdin, env: cached });
      log(`compile cache: ${version}, ${input}, ${o.runs * 2} runs each, in turn`);
      const [without, withCache] = (await interleave(
        o.runs * 2,
        () => measure(node, [fnPath], { stdin, env }),
        () => measure(node, [fnPath], { stdin, env: cached }),
      )) as [Timed, Timed];
      rows.push({ node: version, input, without, with: withCache });
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  return rows;
}

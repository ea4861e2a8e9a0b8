// The container image for the end-to-end tests: built from the Dockerfile with
// podman by scripts/container/build.sh (stand-in base images; no registry, no
// Docker daemon), and the environment that points podman at its storage.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cleanEnv, repoRoot, run, type RunOptions, type RunResult } from './run.js';

export const containerScripts = join(repoRoot, 'scripts', 'container');
/** Holds a `docker` that runs podman: what kubectl kustomize runs container functions with. */
export const dockerShimDir = join(containerScripts, 'bin');
export const image = 'localhost/kmsecret-fn:dev';

/** Settings of the developer's or CI's that the scripts honour (cleanEnv drops KMSECRET_*). */
function passedThrough(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of ['KMSECRET_CACHE', 'KMSECRET_BUILD_LAYERS', 'KMSECRET_STORAGE_DRIVER']) {
    if (process.env[name] !== undefined) out[name] = process.env[name];
  }
  return out;
}

let podmanVars: NodeJS.ProcessEnv | undefined;

/** CONTAINERS_CONF and friends, as scripts/container/env.sh prints them. */
async function containerVars(): Promise<NodeJS.ProcessEnv> {
  if (!podmanVars) {
    const result = await run(join(containerScripts, 'env.sh'), [], { env: cleanEnv(passedThrough()) });
    if (result.code !== 0) throw new Error(`scripts/container/env.sh failed: ${result.stderr}`);
    podmanVars = {};
    for (const m of result.stdout.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)) podmanVars[m[1] as string] = m[2];
  }
  return podmanVars;
}

/**
 * An environment for podman, kubectl kustomize (the `docker` shim first on PATH,
 * before any daemon-less docker client) and kpt (KPT_FN_RUNTIME=podman).
 * Call after buildImage().
 */
export function containerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (!podmanVars) throw new Error('containerEnv() before buildImage()');
  return cleanEnv({ ...passedThrough(), ...podmanVars, KPT_FN_RUNTIME: 'podman', PATH: `${dockerShimDir}:${process.env.PATH}`, ...extra });
}

/** Builds the image unless scripts/container/build.sh finds it up to date. */
export async function buildImage(): Promise<void> {
  const result = await run(join(containerScripts, 'build.sh'), [], { env: cleanEnv(passedThrough()), timeoutMs: 15 * 60_000 });
  expect(result.code, `scripts/container/build.sh failed:\n${result.stderr}`).toBe(0);
  expect(result.stdout.trim()).toBe(image);
  process.stderr.write(result.stderr.replace(/^/gm, '  '));
  await containerVars();
}

export function podman(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run('podman', args, { ...options, env: options.env ?? containerEnv() });
}

/** The Node.js version the image is meant to run (scripts/container/versions.sh). */
export function imageNodeVersion(): string {
  const versions = readFileSync(join(containerScripts, 'versions.sh'), 'utf8');
  const major = /^IMAGE_NODE=\$NODE_(\d+)$/m.exec(versions)?.[1];
  const version = major && new RegExp(`^NODE_${major}=(\\S+)$`, 'm').exec(versions)?.[1];
  if (!version) throw new Error('scripts/container/versions.sh: no IMAGE_NODE');
  return version;
}

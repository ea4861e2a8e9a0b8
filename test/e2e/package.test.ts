// The npm package as users get it: only what they need, and both executables
// working from the packed tarball installed into an empty folder.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ageKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full).map((f) => `${name}/${f}`) : [name];
  });
}

describe('npm pack', () => {
  const dir = tempDir();
  let tarball: string;
  let installed: string;
  beforeAll(() => {
    // --ignore-scripts: `prepare` would rebuild dist/ under the other test files that run it
    // (npm test has just built it). install.test.ts packs a clean clone, where prepare builds.
    const name = sh('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], repoRoot).trim().split('\n').pop() as string;
    tarball = join(dir, name);
    installed = join(dir, 'app');
    sh('mkdir', ['-p', installed], dir);
    sh('npm', ['init', '-y'], installed);
    sh('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], installed);
  });

  it('holds only the executables, the schemas, the README and the license: no tests, fixtures or keys', () => {
    const root = join(installed, 'node_modules', 'kmsecret');
    const files = filesUnder(root);
    expect(
      files.every((f) => /^(dist\/|schemas\/|README\.md$|LICENSE$|package\.json$)/.test(f)),
      files.join('\n'),
    ).toBe(true);
    expect(files).toContain('dist/kmsecret-fn.mjs');
    // a whole identity, not the library's prefix constant
    for (const f of files) expect(/AGE-SECRET-KEY-1[0-9A-Z]{50,}/.test(readFileSync(join(root, f), 'latin1')), f).toBe(false);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('npx kmsecret --help and kmsecret-fn work from the installed package', async () => {
    const help = await run('npx', ['--no-install', 'kmsecret', '--help'], { cwd: installed });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^kmsecret 0\.1\.0/);
    const key = await ageKey();
    const secret = await kmsSecretYaml(key.provider, key.recipient, { name: 'packed', namespace: 'ns', data: { A: 'from-the-tarball' } });
    const result = await run(join(installed, 'node_modules', '.bin', 'kmsecret-fn'), [], {
      stdin: resourceList([secret]),
      env: cleanEnv(key.env),
      cwd: installed,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(decodeData(parseList(result.stdout).items[0] as Record<string, any>)).toEqual({ A: 'from-the-tarball' });
  });
});

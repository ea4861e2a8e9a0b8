// Installing kmsecret before it is on the npm registry: from git, the way the
// README's "Quick start" says, with the real npm and git against a local bare
// repository that holds this checkout's tracked files (as a clone of it would).
// npm installs the build tools from the registry here: these tests take a while.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { ageKey, kmsSecretYaml } from '../helpers/fixtures.js';
import { installNode } from '../helpers/node-versions.js';
import { readmeBlock } from '../helpers/readme.js';
import { decodeData, parseList, resourceList } from '../helpers/resource-list.js';
import { cleanEnv, repoRoot, run, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWith } from '../helpers/tools.js';

/** npm 12, whose git installs build (npm/cli#8440 fixed); it needs Node.js ^22.22 or ^24.15. */
const npm12 = '12.2.2';

function git(args: string[], cwd: string): string {
  const r = spawnSync('git', ['-c', 'user.name=kmsecret test', '-c', 'user.email=test@kmsecret.invalid', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A bare repository whose main and tag v0.1.0 hold this checkout's tracked files as they are on disk. */
function bareRepository(): string {
  const work = join(tempDir(), 'kmsecret');
  mkdirSync(work);
  for (const file of git(['ls-files', '-z'], repoRoot).split('\0').filter(Boolean)) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted in the work tree, not yet committed
    mkdirSync(dirname(join(work, file)), { recursive: true });
    copyFileSync(join(repoRoot, file), join(work, file));
  }
  git(['init', '-q'], work);
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'kmsecret'], work);
  git(['tag', 'v0.1.0'], work);
  const bare = join(tempDir(), 'kmsecret.git');
  git(['clone', '-q', '--bare', work, bare], dirname(work));
  return bare;
}

/** The environment npm runs in: the developer's, with -g going into `prefix`. */
function npmEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({ npm_config_prefix: prefix, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra });
}

/** Both executables of a global install under `prefix` work: --help, and a render with a fresh age key. */
async function expectWorkingInstall(prefix: string): Promise<void> {
  const help = await run(join(prefix, 'bin', 'kmsecret'), ['--help'], { env: cleanEnv() });
  expect(help.code, help.stderr).toBe(0);
  expect(help.stdout).toMatch(/^kmsecret 0\.1\.0/);
  const key = await ageKey();
  const secret = await kmsSecretYaml(key.provider, key.recipient, { name: 'installed', namespace: 'ns', data: { A: 'from-git' } });
  const result = await run(join(prefix, 'bin', 'kmsecret-fn'), [], { stdin: resourceList([secret]), env: cleanEnv(key.env) });
  expect(result.code, result.stderr).toBe(0);
  const items = parseList(result.stdout).items;
  expect(items.map((i) => i.kind)).toEqual(['Secret']);
  expect(decodeData(items[0] as Record<string, any>)).toEqual({ A: 'from-git' });
}

/** The README's install lines as written, after the assignment (`env` says where KMSECRET_GIT points), in a fresh directory. */
function readmeInstall(env: NodeJS.ProcessEnv): Promise<RunResult> {
  const lines = readmeBlock('Quick start (one minute, no cloud)', 'npm pack --allow-git=all "$KMSECRET_GIT"').trimEnd().split('\n');
  expect(lines[0]).toMatch(/^KMSECRET_GIT='git\+https:\/\/\S+#v0\.1\.0'/);
  return run('sh', ['-eu', '-c', lines.slice(1).join('\n')], { cwd: tempDir(), env });
}

const npmMajor = Number(/^(\d+)\./.exec(spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 0);

describeWith(['git', 'npm'], 'install from git (the README, Dockerfile.cmp, the workflow)', () => {
  let origin: string;
  beforeAll(() => {
    origin = `git+file://${bareRepository()}#v0.1.0`;
  });

  it('npm pack in a fresh clone builds the package (prepare installs the locked build tools itself)', async () => {
    const clone = join(tempDir(), 'clone');
    git(['clone', '-q', origin.replace(/^git\+/, '').replace(/#.*$/, ''), clone], tempDir());
    expect(existsSync(join(clone, 'node_modules'))).toBe(false);
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const prefix = tempDir();
    const packed = await run('npm', ['pack'], { cwd: clone, env: npmEnv(prefix) });
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(clone, 'kmsecret-0.1.0.tgz');
    const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout;
    expect(listing).toContain('package/dist/kmsecret-fn.mjs');
    expect(listing).toContain('package/dist/kmsecret.mjs');
    // The package has no dependencies: it installs without the registry.
    const installed = await run('npm', ['install', '-g', '--offline', tarball], { cwd: clone, env: npmEnv(prefix) });
    expect(installed.code, installed.stderr).toBe(0);
    await expectWorkingInstall(prefix);
  });

  it("the README's install lines (npm pack git+URL, npm install -g the tarball) give working kmsecret and kmsecret-fn", async () => {
    const prefix = tempDir();
    const result = await readmeInstall(npmEnv(prefix, { KMSECRET_GIT: origin }));
    expect(result.code, result.stderr).toBe(0);
    await expectWorkingInstall(prefix);
  });

  it('npm install -g git+URL: with npm 11 and older it fails, saying what to do, instead of ending with no executables', async () => {
    const prefix = tempDir();
    const result = await run('npm', ['install', '-g', '--allow-git=root', origin], { cwd: tempDir(), env: npmEnv(prefix) });
    if (npmMajor >= 12) {
      expect(result.code, result.stderr).toBe(0);
      await expectWorkingInstall(prefix);
      return;
    }
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/this npm cannot build a global install from git \(npm\/cli#8440; fixed in npm 12\)/);
    expect(result.stderr).toMatch(/npm pack --allow-git=all git\+URL/);
    expect(existsSync(join(prefix, 'bin', 'kmsecret'))).toBe(false);
  });

  it(`npm ${npm12} on Node.js 24: the README's lines, and npm install -g --allow-git=root git+URL in one step`, async () => {
    const node = await installNode(24);
    const tools = tempDir();
    const got = await run('npm', ['install', '--prefix', tools, '--no-save', '--no-package-lock', `npm@${npm12}`], { env: npmEnv(tempDir()) });
    expect(got.code, got.stderr).toBe(0);
    const bin = join(tools, 'path');
    mkdirSync(bin);
    writeFileSync(join(bin, 'node'), `#!/bin/sh\nexec "${node}" "$@"\n`, { mode: 0o755 });
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${node}" "${join(tools, 'node_modules', 'npm', 'bin', 'npm-cli.js')}" "$@"\n`, { mode: 0o755 });
    const npm12Env = (prefix: string) => npmEnv(prefix, { PATH: `${bin}:${process.env.PATH}`, KMSECRET_GIT: origin });
    expect((await run('npm', ['--version'], { env: npm12Env(tempDir()) })).stdout.trim()).toBe(npm12);
    // npm 12 fetches nothing from git unless --allow-git says so.
    const refused = await run('npm', ['pack', origin], { cwd: tempDir(), env: npm12Env(tempDir()) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/EALLOWGIT/);
    const viaReadme = tempDir();
    const readme = await readmeInstall(npm12Env(viaReadme));
    expect(readme.code, readme.stderr).toBe(0);
    await expectWorkingInstall(viaReadme);
    const prefix = tempDir();
    const result = await run('npm', ['install', '-g', '--allow-git=root', origin], { cwd: tempDir(), env: npm12Env(prefix) });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(join(prefix, 'lib', 'node_modules', 'kmsecret')).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json', 'schemas']);
    expect(JSON.parse(readFileSync(join(prefix, 'lib', 'node_modules', 'kmsecret', 'package.json'), 'utf8')).version).toBe('0.1.0');
    await expectWorkingInstall(prefix);
  });
});

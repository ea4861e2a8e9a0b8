// Conventions every command keeps: --help with an example, --version, usage errors with exit 2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli, runFn } from '../helpers/run.js';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('kmsecret conventions', async () => {
  const overview = await runCli(['--help']);
  const names = [...overview.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1] as string);

  it('lists every command', () => {
    expect(names).toEqual([
      'keygen',
      'create',
      'set',
      'unset',
      'edit',
      'decrypt',
      'rotate',
      'check',
      'diff',
      'encrypt-value',
      'install-plugin',
      'git-setup',
      'textconv',
    ]);
  });

  it.each(names)('%s --help shows usage and an example', async (name) => {
    const result = await runCli([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: kmsecret /);
    expect(result.stdout).toMatch(/\nExamples?:\n {2}\S/);
  });

  it('--version, for both executables', async () => {
    expect((await runCli(['--version'])).stdout).toBe(`${version}\n`);
    expect((await runFn('', undefined, ['--version'])).stdout).toBe(`${version}\n`);
  });

  it('usage errors: one or two lines, exit 2', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('kmsecret: unknown command "frobnicate"\n  hint: run `kmsecret --help` for the list\n');
    const flag = await runCli(['create', 'x', '--nope']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe('kmsecret: unknown flag --nope\n  hint: see `kmsecret create --help`\n');
    const fnArgs = await runFn('', undefined, ['a', 'b']);
    expect(fnArgs.code).toBe(2);
  });
});

// Where a kpt command line sends its output: into the package, or elsewhere.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kptDestination, kptRunDestination } from '../../functions/krm/kpt.js';
import { tempDir } from '../helpers/tmp.js';

describe('kptDestination', () => {
  it.each([
    [['kpt', 'fn', 'render', 'pkg', '--allow-exec'], 'in-place'],
    [['kpt', 'fn', 'render', 'pkg', '--allow-exec', '-o', 'stdout'], 'elsewhere'],
    [['kpt', 'fn', 'render', 'pkg', '-o=unwrap'], 'elsewhere'],
    [['kpt', 'fn', 'render', 'pkg', '--output', '/tmp/out'], 'elsewhere'],
    [['kpt', 'fn', 'render', 'pkg', '--output=stdout'], 'elsewhere'],
    [['kpt', 'fn', 'eval', 'pkg', '--exec', 'kmsecret-fn'], 'in-place'],
    [['kpt', 'fn', 'eval', '-', '--exec', 'kmsecret-fn'], 'elsewhere'],
    [['kpt', 'fn', 'eval', 'pkg', '--exec', 'kmsecret-fn', '--', 'mode=x', '-o', 'stdout'], 'in-place'],
  ] as const)('%j → %s', (argv, expected) => {
    expect(kptDestination(argv)).toBe(expected);
  });
});

describe('kptRunDestination', () => {
  it('walks up to the kpt process, through a wrapper, and trusts KMSECRET_KPT_OUTPUT first', () => {
    const proc = tempDir();
    const fakeProcess = (pid: number, ppid: number, argv: string[]) => {
      mkdirSync(join(proc, String(pid)));
      writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${argv[0]}) S ${ppid} 1 1 0`);
    };
    fakeProcess(10, 1, ['/usr/bin/kpt', 'fn', 'render', 'pkg', '-o', 'stdout']);
    fakeProcess(11, 10, ['/bin/sh', './wrapper.sh']);
    fakeProcess(20, 1, ['/usr/bin/kpt', 'fn', 'render', 'pkg']);
    fakeProcess(30, 1, ['/bin/bash']);
    expect(kptRunDestination({}, 11, proc)).toBe('elsewhere');
    expect(kptRunDestination({}, 20, proc)).toBe('in-place');
    expect(kptRunDestination({}, 30, proc)).toBe('unknown');
    expect(kptRunDestination({}, 99, proc)).toBe('unknown');
    expect(kptRunDestination({ KMSECRET_KPT_OUTPUT: 'stdout' }, 20, proc)).toBe('elsewhere');
  });
});

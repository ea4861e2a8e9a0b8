// Where a kpt command line sends its output: into the package, or elsewhere.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kptDestination, kptRunDestination, visibleKptDestination } from '../../functions/krm/kpt.js';
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
    // An empty output value is no output: kpt writes in place.
    [['kpt', 'fn', 'render', 'pkg', '-o', '', '--allow-exec'], 'in-place'],
    [['kpt', 'fn', 'render', 'pkg', '-o', ''], 'in-place'],
    [['kpt', 'fn', 'eval', 'pkg', '--output', '', '--exec', 'kmsecret-fn'], 'in-place'],
    [['kpt', 'fn', 'eval', 'pkg', '--output=', '--exec', 'kmsecret-fn'], 'in-place'],
    [['kpt', 'fn', 'eval', 'pkg', '-o=', '--exec', 'kmsecret-fn'], 'in-place'],
    [['kpt', 'fn', 'eval', 'pkg', '-ostdout', '--exec', 'kmsecret-fn'], 'elsewhere'],
    [['kpt', 'fn', 'render', 'pkg', '-o'], 'in-place'],
  ] as const)('%j → %s', (argv, expected) => {
    expect(kptDestination(argv)).toBe(expected);
  });
});

describe('kptRunDestination', () => {
  it('walks up to the kpt process, through a wrapper; KMSECRET_KPT_OUTPUT speaks only where no kpt is visible', () => {
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
    fakeProcess(40, 1, ['/usr/bin/kpt', 'fn', 'render', 'pkg', '-o', '']);
    expect(visibleKptDestination(11, proc)).toBe('elsewhere');
    expect(visibleKptDestination(20, proc)).toBe('in-place');
    expect(visibleKptDestination(30, proc)).toBeUndefined();
    expect(visibleKptDestination(99, proc)).toBeUndefined();
    // The empty argument survives the read of /proc/PID/cmdline.
    expect(visibleKptDestination(40, proc)).toBe('in-place');
    expect(kptRunDestination(undefined, visibleKptDestination(11, proc))).toBe('elsewhere');
    // A declaration cannot override what the function sees …
    expect(kptRunDestination('stdout', visibleKptDestination(20, proc))).toBe('in-place');
    expect(kptRunDestination('stdout', visibleKptDestination(40, proc))).toBe('in-place');
    // … but may narrow it, and speaks where nothing is seen (a container).
    expect(kptRunDestination('in-place', visibleKptDestination(11, proc))).toBe('in-place');
    expect(kptRunDestination('stdout', visibleKptDestination(30, proc))).toBe('elsewhere');
    expect(kptRunDestination(undefined, visibleKptDestination(30, proc))).toBeUndefined();
  });
});

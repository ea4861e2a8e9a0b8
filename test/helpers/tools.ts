// External tools the end-to-end tests run for real. With CI=true a missing tool
// fails the run; elsewhere its tests are skipped with a line saying so.
import { spawnSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';

const found = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let has = found.get(name);
  if (has === undefined) {
    has = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
    found.set(name, has);
  }
  return has;
}

export const inCI = /^(1|true)$/i.test(process.env.CI ?? '');

/** describe() that needs `tools`: skipped visibly when one is missing, failing under CI. */
export function describeWith(tools: string[], title: string, body: () => void): void {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  if (inCI) {
    describe(title, () => {
      it(`has ${missing.join(', ')} installed (required with CI=true)`, () => {
        expect(missing, `missing tools: ${missing.join(', ')}`).toEqual([]);
      });
    });
    return;
  }
  process.stderr.write(`SKIPPED "${title}": ${missing.join(', ')} not installed (set CI=true to make this a failure)\n`);
  describe.skip(title, body);
}

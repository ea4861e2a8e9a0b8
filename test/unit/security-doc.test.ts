// docs/SECURITY.md names, for each threat, the test that performs the attack. This
// keeps the names true: each "file.test.ts › words" reference must be the start of
// a test or describe title in that file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/run.js';

const doc = readFileSync(join(repoRoot, 'docs', 'SECURITY.md'), 'utf8');

/** Every "› title" with the test file named last before it (in its table). */
function references(): Array<{ file: string; title: string }> {
  const out: Array<{ file: string; title: string }> = [];
  let file: string | undefined;
  for (const line of doc.split('\n')) {
    if (line.startsWith('#')) file = undefined;
    for (const part of line.split(/(?=`[\w/-]+\.test\.ts`)|(?=› )/)) {
      const named = /^`([\w/-]+\.test\.ts)`/.exec(part);
      if (named) file = named[1];
      const title = /^› (.+?)(?:;|(?<!\\)\||$)/.exec(part)?.[1];
      if (title && file)
        out.push({
          file,
          title: title
            .replace(/\s*(…|\([^)]*\))?\s*$/, '')
            .replace(/\\\|/g, '|')
            .trim(),
        });
    }
  }
  return out;
}

describe('docs/SECURITY.md', () => {
  const refs = references();
  it('names tests', () => {
    expect(refs.length).toBeGreaterThan(30);
  });
  it.each(refs.map((r) => [r.file, r.title] as const))('%s › %s exists', (file, title) => {
    const path = file.includes('/') ? join(repoRoot, 'test', file) : join(repoRoot, 'test', 'e2e', file);
    const source = readFileSync(path, 'utf8').replace(/\\'/g, "'");
    const words = title.replace(/^…\s*/, '').split('…')[0]?.trim() as string;
    expect(words.length).toBeGreaterThan(10);
    expect(source.includes(words), `${file} has no test titled "${words}…"`).toBe(true);
  });
});

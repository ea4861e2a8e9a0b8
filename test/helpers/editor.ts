// A scripted $EDITOR (test/e2e/bin/scripted-editor.mjs) for the edit tests: each
// run of the editor takes the next step of its script and logs what it saw.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './run.js';

export const scriptedEditor = join(repoRoot, 'test', 'e2e', 'bin', 'scripted-editor.mjs');

export function editorScript(dir: string, name: string, steps: object[]): { script: string; log: string } {
  const script = join(dir, `${name}.editor.json`);
  const log = join(dir, `${name}.editor.log`);
  writeFileSync(script, JSON.stringify({ log, steps }));
  return { script, log };
}

export const editorRuns = (log: string) =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { file: string; mode: number; text: string });

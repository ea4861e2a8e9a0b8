import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { inputError, usageError } from '../errors.js';
import { flag, outputFlag, outputFormat } from './args.js';
import type { Command, Io } from './command.js';
import { type FileToken, fileTokens } from './file-tokens.js';
import { readText } from './files.js';
import { sealedPart, wrappedPart } from '../token/token.js';

/** A file, or a git object (REV:PATH) when no such file exists. */
export function readVersion(spec: string, io: Io): string {
  if (existsSync(resolve(io.cwd, spec)) || !spec.includes(':')) return readText(spec, io.cwd);
  const shown = spawnSync('git', ['show', spec], { cwd: io.cwd, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (shown.status !== 0) throw inputError(`is neither a file nor a git object (${(shown.stderr || 'git failed').trim().split('\n')[0]})`, { file: spec });
  return shown.stdout;
}

export interface ResourceDiff {
  resource: string;
  added: string[];
  removed: string[];
  changed: string[];
  /** Same value, new key or data key (rotate): the sealed part is identical. */
  rewrapped: string[];
  /** Same value and data key, another header: not something kmsecret writes (an edited key id). */
  edited: string[];
  unchanged: number;
}

function byResource(tokens: FileToken[]): Map<string, Map<string, FileToken>> {
  const out = new Map<string, Map<string, FileToken>>();
  for (const t of tokens) {
    const entries = out.get(t.resource) ?? new Map<string, FileToken>();
    entries.set(t.label, t);
    out.set(t.resource, entries);
  }
  return out;
}

export function diffTokens(a: FileToken[], b: FileToken[]): ResourceDiff[] {
  const left = byResource(a);
  const right = byResource(b);
  const names = [...new Set([...left.keys(), ...right.keys()])].sort();
  return names.map((resource) => {
    const l = left.get(resource) ?? new Map<string, FileToken>();
    const r = right.get(resource) ?? new Map<string, FileToken>();
    const d: ResourceDiff = { resource, added: [], removed: [], changed: [], rewrapped: [], edited: [], unchanged: 0 };
    for (const [label, token] of r) {
      const old = l.get(label);
      if (!old) d.added.push(label);
      else if (old.text === token.text) d.unchanged++;
      else if (sealedPart(old.text) === sealedPart(token.text)) (wrappedPart(old.text) === wrappedPart(token.text) ? d.edited : d.rewrapped).push(label);
      else d.changed.push(label);
    }
    for (const label of l.keys()) if (!r.has(label)) d.removed.push(label);
    return d;
  });
}

function formatDiff(diffs: ResourceDiff[]): string {
  const lines: string[] = [];
  for (const d of diffs) {
    if (d.added.length + d.removed.length + d.changed.length + d.rewrapped.length + d.edited.length === 0) continue;
    lines.push(d.resource);
    for (const k of d.added) lines.push(`  + ${k}`);
    for (const k of d.changed) lines.push(`  ~ ${k}`);
    for (const k of d.rewrapped) lines.push(`  ~ ${k} (re-wrapped: same value, new key)`);
    for (const k of d.edited) lines.push(`  ! ${k} (header edited: same data key and value under another key id; kmsecret never writes this)`);
    for (const k of d.removed) lines.push(`  - ${k}`);
    if (d.unchanged > 0) lines.push(`    (${d.unchanged} unchanged)`);
  }
  return lines.length === 0 ? 'no changes to encrypted values\n' : `${lines.join('\n')}\n`;
}

export const diff: Command = {
  name: 'diff',
  summary: 'which encrypted values were added, removed or changed between two versions, without decrypting',
  help: `Usage: kmsecret diff A B [--output json]

Compares the tokens of two versions of a file (KmsSecrets and env values alike)
and lists, per resource, the keys added (+), changed (~) and removed (-). A value
whose token was only re-wrapped (kmsecret rotate) is shown as such: its sealed
part is the same. Nothing is decrypted; no credentials are needed. A or B may be
a git object, REV:PATH.

For \`git diff\` and \`git log -p\` to show the same, run \`kmsecret git-setup\` once.

Flags:
  -o, --output FORMAT   text (default) or json
      --exit-code       exit with 1 when there are differences (as git diff --exit-code)

Example:
  kmsecret diff HEAD~1:overlays/prod/app-secrets.kmsecret.yaml overlays/prod/app-secrets.kmsecret.yaml`,
  flags: { output: outputFlag, 'exit-code': { type: 'boolean' } },
  async run(args, ctx) {
    const [a, b, ...rest] = args.positional;
    if (!a || !b || rest.length > 0) throw usageError('diff takes two versions: A B');
    const format = outputFormat(args, ['text', 'json'] as const, false);
    const diffs = diffTokens(fileTokens(readVersion(a, ctx), a), fileTokens(readVersion(b, ctx), b));
    ctx.stdout(format === 'json' ? `${JSON.stringify({ resources: diffs }, null, 2)}\n` : formatDiff(diffs));
    const changed = diffs.some((d) => d.added.length + d.removed.length + d.changed.length + d.rewrapped.length + d.edited.length > 0);
    return flag(args, 'exit-code') && changed ? 1 : 0;
  },
};

import { readFileSync } from 'node:fs';
import { KmsecretError, usageError } from '../errors.js';
import { writeObject, parseWhole } from '../krm/yaml.js';
import { one } from './args.js';
import type { Command } from './command.js';
import { privateFile, rewrite, runEditor } from './editor.js';
import { openExisting, sameBytes } from './existing.js';
import { readText, writeFileAtomic } from './files.js';
import { editData, parseFile, selectKmsSecret } from './kmssecret-file.js';
import { requireName } from './keys.js';
import { newSealer } from './set.js';
import { secretKeyPattern } from './values.js';

/** Rounds of "the YAML is invalid, fix it" before giving up when nobody is at a terminal
 *  (an editor command that writes the same broken file every time would loop forever). */
const roundsWithoutTerminal = 3;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isText(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function buffer(header: string, values: Map<string, Uint8Array>): string {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [key, value] of values) {
    if (isText(value)) data[key] = utf8.decode(value);
    else binaryData[key] = Buffer.from(value).toString('base64');
  }
  const body: Record<string, unknown> = { data };
  if (Object.keys(binaryData).length > 0) body.binaryData = binaryData;
  return `${header}${writeObject(body, false, 0)}`;
}

type Edited = { cancelled: true } | { cancelled: false; values: Map<string, Uint8Array> } | { error: string };

/** Reads what the user saved: `data` (text) and `binaryData` (base64), each key once. */
function readBuffer(text: string): Edited {
  if (text.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('#'))) return { cancelled: true };
  let parsed: unknown;
  try {
    parsed = parseWhole(text, { file: 'the edited values' }).value;
  } catch (error) {
    return { error: error instanceof KmsecretError ? `${error.place.line ? `line ${error.place.line}: ` : ''}${error.message}` : 'invalid YAML' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'the top level must be a mapping with data: (and binaryData:)' };
  const top = parsed as Record<string, unknown>;
  const unknown = Object.keys(top).filter((k) => k !== 'data' && k !== 'binaryData');
  if (unknown.length > 0) return { error: `unknown top-level key ${unknown.join(', ')}; values go under data:` };
  const values = new Map<string, Uint8Array>();
  for (const section of ['data', 'binaryData'] as const) {
    const map = top[section];
    if (map === undefined || map === '' || map === '~') continue;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) return { error: `${section} must be a mapping of KEY: value` };
    for (const [key, value] of Object.entries(map)) {
      if (!secretKeyPattern.test(key)) return { error: `a key under ${section} is not a valid Secret key (letters, digits, "-", "_", ".")` };
      if (typeof value !== 'string') return { error: `${section}.${key} must be a string` };
      if (values.has(key)) return { error: `key ${key} is in both data and binaryData` };
      if (section === 'binaryData' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s+/g, ''))) return { error: `binaryData.${key} is not base64` };
      values.set(key, section === 'data' ? new TextEncoder().encode(value) : new Uint8Array(Buffer.from(value, 'base64')));
    }
  }
  return { cancelled: false, values };
}

export const edit: Command = {
  name: 'edit',
  summary: 'edit the decrypted values of a KmsSecret in $EDITOR',
  help: `Usage: kmsecret edit FILE [--name NAME]

Opens $VISUAL or $EDITOR (default vi) on the decrypted values, then encrypts
again only the keys whose value changed, adds new keys and removes deleted ones.
Every other byte of FILE stays (comments, order, unchanged tokens).

The decrypted values live in a 0600 file (in /dev/shm where there is one) that
is removed on every exit: save and quit, editor failure, Ctrl-C. A YAML error in
what you saved reopens the editor with the error shown at the top, so no edit is
lost. Saving an empty file cancels. Needs credentials that decrypt the file.

Flags:
      --name NAME   the KmsSecret to edit when FILE holds several

Example:
  EDITOR="code --wait" kmsecret edit overlays/prod/app-secrets.kmsecret.yaml`,
  flags: { name: { type: 'string' } },
  async run(args, ctx) {
    const [file, ...rest] = args.positional;
    if (!file || rest.length > 0) throw usageError('edit takes one FILE');
    const name = one(args, 'name');
    if (name !== undefined) requireName(name, '--name');
    const parsed = parseFile(readText(file, ctx.cwd), file);
    const target = selectKmsSecret(parsed, name);
    const existing = await openExisting(target, ctx.keys, 'all');
    if (existing.plaintexts.size < existing.tokens.size) {
      throw new KmsecretError(
        'decrypt',
        `cannot decrypt the values to edit (${existing.problem ?? 'no credentials'})`,
        target.place,
        'edit needs credentials that decrypt the file; to only add or replace values, use `kmsecret set`',
      );
    }
    const original = new Map(target.secret.data.map(({ key }) => [key, existing.plaintexts.get(key) as Uint8Array]));
    const where = `${target.secret.namespace ? `${target.secret.namespace}/` : ''}${target.secret.name}`;
    const header = `# kmsecret edit: ${where} (in ${file})\n# Change, add or remove keys, then save and quit: only changed values are encrypted again.\n# Save an empty file to cancel. This file is deleted when you are done.\n`;
    const temp = privateFile(`${target.secret.name}.yaml`, buffer(header, original));
    let values: Map<string, Uint8Array>;
    try {
      for (let round = 1; ; round++) {
        const status = await runEditor(temp.path, ctx.settings.editor, ctx.env);
        if (status !== 0) throw usageError(`the editor exited with status ${status}; ${file} is unchanged`);
        const edited = readBuffer(readFileSync(temp.path, 'utf8'));
        if ('error' in edited) {
          if (!ctx.stdinIsTTY && round >= roundsWithoutTerminal) {
            throw new KmsecretError(
              'input',
              `the edited values are still not valid after ${round} rounds (${edited.error}); ${file} is unchanged`,
              {},
              'run kmsecret edit at a terminal, or use `kmsecret set`',
            );
          }
          const kept = readFileSync(temp.path, 'utf8').replace(/^# kmsecret: error:.*\n(# .*\n)?/, '');
          rewrite(temp, `# kmsecret: error: ${edited.error}\n# Fix it and save again (an empty file cancels).\n${kept}`);
          continue;
        }
        if (edited.cancelled) {
          ctx.stderr(`${file}: edit cancelled, unchanged\n`);
          return;
        }
        values = edited.values;
        break;
      }
    } finally {
      temp.remove();
    }
    const changed = [...values].filter(([key, value]) => !original.has(key) || !sameBytes(original.get(key) as Uint8Array, value));
    const removed = [...original.keys()].filter((key) => !values.has(key));
    if (changed.length === 0 && removed.length === 0) {
      ctx.stderr(`${file}: no changes\n`);
      return;
    }
    // The deadline covers provider calls, not the time the editor was open.
    ctx.keys.restartDeadline();
    const sealer = changed.length > 0 ? await newSealer(target, args, ctx, [...existing.tokens.values()]) : undefined;
    const text = editData(parsed, target, { set: new Map(changed.map(([key, value]) => [key, sealer?.seal(key, value) ?? ''])), unset: new Set(removed) });
    writeFileAtomic(file, ctx.cwd, text, { replace: true });
    const added = changed.filter(([key]) => !original.has(key)).map(([key]) => `${key} (added)`);
    const updated = changed.filter(([key]) => original.has(key)).map(([key]) => `${key} (changed)`);
    ctx.stderr(`${file}: ${[...added, ...updated, ...removed.map((k) => `${k} (removed)`)].join(', ')}\n`);
  },
};

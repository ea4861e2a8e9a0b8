// Where plaintext values come from, with kubectl create secret's flags:
//   --from-literal KEY=VALUE      (the value lands in shell history: prefer the others)
//   --from-file [KEY=]PATH        a file's bytes, or every file in a directory; PATH - is stdin
//   --from-env-file PATH          KEY=VALUE lines, taken literally as kubectl does
// and `KEY` alone (set, encrypt-value): the value is read from stdin.
import { readdirSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { inputError, usageError } from '../errors.js';
import { secretKeyPattern } from '../token/token.js';
import type { Io } from './command.js';
import { readBytes, readText } from './files.js';

export { secretKeyPattern };

export interface NamedValue {
  key: string;
  value: Uint8Array;
}

function checkKey(key: string, flag: string): string {
  // Never echo it: an invalid key is often a value typed in the wrong place.
  if (!secretKeyPattern.test(key) || key.length > 253) {
    throw usageError(`${flag}: a key is not a valid Secret key (letters, digits, "-", "_", "." only, at most 253)`);
  }
  return key;
}

function splitPair(text: string, flag: string): [string, string] {
  const eq = text.indexOf('=');
  // Never echo the argument: without its "=" it may be nothing but the secret itself.
  if (eq <= 0) throw usageError(`${flag} takes KEY=VALUE (no "=" with a key before it found)`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** kubectl's env file: KEY=VALUE per line, # comments and blank lines skipped, no quote processing. */
export function parseEnvFile(text: string, file: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw inputError('is not KEY=VALUE', { file, line: i + 1 });
    pairs.push([trimmed.slice(0, eq).trimEnd(), trimmed.slice(eq + 1)]);
  });
  return pairs;
}

export interface ValueFlags {
  literals: string[];
  files: string[];
  envFiles: string[];
}

export async function collectValues(flags: ValueFlags, io: Io): Promise<NamedValue[]> {
  const out: NamedValue[] = [];
  const encode = (s: string) => new TextEncoder().encode(s);
  for (const literal of flags.literals) {
    const [key, value] = splitPair(literal, '--from-literal');
    out.push({ key: checkKey(key, '--from-literal'), value: encode(value) });
  }
  for (const spec of flags.files) {
    const eq = spec.indexOf('=');
    const key = eq > 0 ? spec.slice(0, eq) : undefined;
    const path = eq > 0 ? spec.slice(eq + 1) : spec;
    if (path === '-') {
      if (!key) throw usageError('--from-file - (stdin) needs a key: --from-file KEY=-');
      out.push({ key: checkKey(key, '--from-file'), value: await io.readStdin() });
      continue;
    }
    const stat = statSync(resolve(io.cwd, path), { throwIfNoEntry: false });
    if (!stat) throw inputError('no such file', { file: path });
    if (stat.isDirectory()) {
      if (key) throw usageError(`--from-file ${key}=${path}: a directory takes no key`);
      for (const name of readdirSync(resolve(io.cwd, path)).sort()) {
        const full = resolve(io.cwd, path, name);
        if (statSync(full).isFile() && secretKeyPattern.test(name)) out.push({ key: name, value: readBytes(full, io.cwd) });
      }
      continue;
    }
    out.push({ key: checkKey(key ?? basename(path), '--from-file'), value: readBytes(path, io.cwd) });
  }
  for (const file of flags.envFiles) {
    for (const [key, value] of parseEnvFile(readText(file, io.cwd), file)) out.push({ key: checkKey(key, `--from-env-file ${file}`), value: encode(value) });
  }
  const seen = new Set<string>();
  for (const { key } of out) {
    if (seen.has(key)) throw usageError(`key ${key} is given twice`);
    seen.add(key);
  }
  return out;
}

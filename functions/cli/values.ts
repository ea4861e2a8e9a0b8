// Where plaintext values come from, with kubectl create secret's flags:
//   --from-literal KEY=VALUE      (the value lands in shell history: prefer the others)
//   --from-file [KEY=]PATH        a file's bytes, or every file in a directory; PATH - is stdin
//   --from-env-file PATH          KEY=VALUE lines, taken literally as kubectl does
//   --from-secret PATH            a plain Secret's data and stringData (from-secret.ts)
// and `KEY` alone (set, encrypt-value): the value is read from stdin — at a terminal,
// from a prompt that does not echo it.
//
// Stdin is read once: two values cannot both come from it. A value is never empty by
// accident (--allow-empty says it is meant), and a value from a pipe that ends in a
// newline gets a warning (echo adds one).
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
  /** Where it came from, for messages: "stdin", "--from-literal", "--from-file PATH", … */
  source: string;
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

/**
 * Stdin, read at most once. `claim` is called for every use before anything is read, so
 * that two uses are refused before a prompt or a provider call.
 */
export class Stdin {
  private user?: string;
  constructor(private readonly io: Io) {}

  claim(use: string): void {
    if (this.user !== undefined) {
      throw usageError(`stdin can give one thing, and ${this.user} already reads it: ${use} cannot`, 'give the other value with --from-file KEY=PATH');
    }
    this.user = use;
  }

  /** The whole of stdin (a pipe, a file), for a document such as a Secret. */
  async text(): Promise<string> {
    return new TextDecoder().decode(await this.io.readStdin());
  }

  /** One value: at a terminal from a prompt that does not echo it (Enter ends it); else all of stdin. */
  async value(key: string): Promise<NamedValue> {
    if (this.io.stdinIsTTY) return { key, value: await this.io.promptHidden(`Value for ${key} (not shown; Enter ends it): `), source: 'the prompt' };
    const value = await this.io.readStdin();
    if (value.length > 0 && value[value.length - 1] === 0x0a) {
      this.io.stderr(`warning: the value of ${key} from stdin ends with a newline, which is kept as part of it (echo adds one: use printf %s, or echo -n)\n`);
    }
    return { key, value, source: 'stdin' };
  }
}

export interface ValueFlags {
  literals: string[];
  files: string[];
  envFiles: string[];
}

/** The stdin uses of these flags, claimed before anything is read. */
export function claimStdin(flags: ValueFlags, stdin: Stdin): void {
  for (const spec of flags.files) {
    const eq = spec.indexOf('=');
    if ((eq > 0 ? spec.slice(eq + 1) : spec) === '-') stdin.claim('--from-file KEY=-');
  }
}

export async function collectValues(flags: ValueFlags, io: Io, stdin: Stdin): Promise<NamedValue[]> {
  const out: NamedValue[] = [];
  const encode = (s: string) => new TextEncoder().encode(s);
  for (const literal of flags.literals) {
    const [key, value] = splitPair(literal, '--from-literal');
    out.push({ key: checkKey(key, '--from-literal'), value: encode(value), source: '--from-literal' });
  }
  for (const spec of flags.files) {
    const eq = spec.indexOf('=');
    const key = eq > 0 ? checkKey(spec.slice(0, eq), '--from-file') : undefined;
    const path = eq > 0 ? spec.slice(eq + 1) : spec;
    if (path === '-') {
      if (!key) throw usageError('--from-file - (stdin) needs a key: --from-file KEY=-');
      out.push(await stdin.value(key));
      continue;
    }
    const stat = statSync(resolve(io.cwd, path), { throwIfNoEntry: false });
    if (!stat) throw inputError('no such file', { file: path }, '--from-file takes [KEY=]PATH');
    if (stat.isDirectory()) {
      if (key) throw usageError(`--from-file ${key}=${path}: a directory takes no key`);
      for (const name of readdirSync(resolve(io.cwd, path)).sort()) {
        const full = resolve(io.cwd, path, name);
        if (statSync(full).isFile() && secretKeyPattern.test(name)) out.push({ key: name, value: readBytes(full, io.cwd), source: `--from-file ${path}` });
      }
      continue;
    }
    out.push({ key: key ?? checkKey(basename(path), '--from-file'), value: readBytes(path, io.cwd), source: `--from-file ${path}` });
  }
  for (const file of flags.envFiles) {
    for (const [key, value] of parseEnvFile(readText(file, io.cwd), file)) {
      out.push({ key: checkKey(key, `--from-env-file ${file}`), value: encode(value), source: `--from-env-file ${file}` });
    }
  }
  return out;
}

/** Each key once; no empty value unless meant (an empty pipe, `KEY=` by mistake). */
export function checkValues(values: readonly NamedValue[], allowEmpty: boolean): void {
  const seen = new Set<string>();
  for (const { key } of values) {
    if (seen.has(key)) throw usageError(`key ${key} is given twice`);
    seen.add(key);
  }
  if (allowEmpty) return;
  const empty = values.filter((v) => v.value.length === 0);
  const first = empty[0];
  if (!first) return;
  const which = empty.map((v) => `${v.key} (${v.source})`).join(', ');
  throw usageError(
    `empty value${empty.length === 1 ? '' : 's'}: ${which}`,
    first.source === 'stdin'
      ? 'nothing came on stdin: check the command before the pipe; pass --allow-empty if an empty value is what you mean'
      : 'pass --allow-empty if an empty value is what you mean',
  );
}

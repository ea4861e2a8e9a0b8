import { Sealer } from '../crypto/sealer.js';
import { usageError } from '../errors.js';
import { providerSet } from '../providers/registry.js';
import { all, flag, one, type ParsedArgs } from './args.js';
import type { Command, Io } from './command.js';
import { type ExistingValues, openExisting, sameBytes } from './existing.js';
import { readText, writeFileAtomic } from './files.js';
import { editData, type KmsSecretDoc, parseFile, selectKmsSecret } from './kmssecret-file.js';
import { keySpecFrom, scopeFrom, sharedKeySpec } from './keys.js';
import { collectValues, type NamedValue, secretKeyPattern } from './values.js';

/** `KEY=VALUE` words, and `KEY` words whose value is read from stdin (one at most). */
async function valuesFromWords(words: string[], io: Io): Promise<NamedValue[]> {
  const literals = words.filter((w) => w.includes('='));
  const fromStdin = words.filter((w) => !w.includes('='));
  if (fromStdin.length > 1) throw usageError('only one KEY can read its value from stdin', 'use --from-file KEY=PATH for the others');
  const out = await collectValues({ literals, files: [], envFiles: [] }, io);
  for (const key of fromStdin) {
    if (!secretKeyPattern.test(key)) throw usageError(`"${key}" is not a valid Secret key`);
    if (io.stdinIsTTY) io.stderr(`Value for ${key} (end with Ctrl-D): `);
    const value = await io.readStdin();
    out.push({ key, value });
  }
  return out;
}

interface Change {
  key: string;
  how: 'added' | 'changed' | 'unchanged' | 'rewritten';
}

function summary(file: string, changes: Change[], removed: string[]): string {
  const parts = changes.filter((c) => c.how !== 'unchanged').map((c) => `${c.key} (${c.how})`);
  if (removed.length > 0) parts.push(...removed.map((k) => `${k} (removed)`));
  const unchanged = changes.filter((c) => c.how === 'unchanged').length;
  if (unchanged > 0) parts.push(`${unchanged} unchanged`);
  return `${file}: ${parts.join(', ') || 'nothing to do'}\n`;
}

/** The data key new values use: the file's own when it can be opened, else a new one. */
async function sealerFor(target: KmsSecretDoc, existing: ExistingValues, args: ParsedArgs, io: Io): Promise<Sealer> {
  const tokens = [...existing.tokens.values()];
  const scope = scopeFrom(one(args, 'scope'), tokens);
  const wanted = keySpecFrom(all(args, 'key'), io.env) ?? sharedKeySpec(tokens);
  if (!wanted) throw usageError(`${target.place.file}: the file's values use different keys, or it has none yet`, 'pass --key');
  const home = { scope, namespace: target.secret.home.namespace, name: target.secret.home.name };
  const shared = existing.shared;
  if (shared && shared.token.provider === wanted.provider && shared.token.keyId === wanted.keyId && shared.token.binding.scope === scope) {
    return Sealer.reuse(shared.token.provider, shared.token.keyId, home, shared.dataKey, shared.token.wrappedKey);
  }
  const provider = await providerSet(io.env).get(wanted.provider);
  return Sealer.create(provider, wanted.keyId, home);
}

export const set: Command = {
  name: 'set',
  summary: 'add or change values in a KmsSecret file, in place',
  help: `Usage: kmsecret set FILE KEY [KEY=VALUE …] [--from-file KEY=PATH] [--from-env-file PATH]

Encrypts the given values into FILE, rewriting only the lines of keys whose
value changed; every other byte (comments, order, other tokens) stays. KEY alone
reads its value from stdin, which keeps it out of your shell history.

When your credentials can open the file's data key, new values join it (the
Secret still costs one KMS call to render) and unchanged values keep their
tokens; otherwise the given keys get a new data key.

Flags:
      --from-file KEY=PATH  a file's bytes
      --from-env-file PATH  KEY=VALUE lines
      --key KEY             encrypt for this key instead of the file's
      --scope SCOPE         strict, namespace-wide or cluster-wide (default: the file's)
      --name NAME           the KmsSecret to edit when FILE holds several
      --dry-run             print the new file instead of writing it

Examples:
  printf %s "$TOKEN" | kmsecret set app-secrets.kmsecret.yaml API_TOKEN
  kmsecret set app-secrets.kmsecret.yaml --from-file tls.key=./tls.key`,
  flags: {
    'from-file': { type: 'string', repeat: true },
    'from-env-file': { type: 'string', repeat: true },
    key: { type: 'string', repeat: true },
    scope: { type: 'string' },
    name: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run(args, io) {
    const [file, ...words] = args.positional;
    if (!file) throw usageError('set takes FILE and the keys to set', 'kmsecret set FILE KEY=VALUE …');
    const values = [
      ...(await valuesFromWords(words, io)),
      ...(await collectValues({ literals: [], files: all(args, 'from-file'), envFiles: all(args, 'from-env-file') }, io)),
    ];
    if (values.length === 0) throw usageError('no values given', 'kmsecret set FILE KEY (value on stdin), KEY=VALUE, or --from-file KEY=PATH');
    const keys = values.map((v) => v.key);
    if (new Set(keys).size !== keys.length) throw usageError('a key is given twice');
    const parsed = parseFile(readText(file, io.cwd), file);
    const target = selectKmsSecret(parsed, one(args, 'name'));
    const existing = await openExisting(target, providerSet(io.env), new Set(keys));
    const changes: Change[] = values.map(({ key, value }) => {
      const old = existing.plaintexts.get(key);
      if (!existing.tokens.has(key)) return { key, how: 'added' };
      if (old === undefined) return { key, how: 'rewritten' };
      return { key, how: sameBytes(old, value) ? 'unchanged' : 'changed' };
    });
    const toSeal = values.filter((_, i) => changes[i]?.how !== 'unchanged');
    const sealer = toSeal.length > 0 ? await sealerFor(target, existing, args, io) : undefined;
    const edit = { set: new Map(toSeal.map(({ key, value }) => [key, (sealer as Sealer).seal(key, value)])), unset: new Set<string>() };
    const text = editData(parsed, target, edit);
    if (existing.problem && changes.some((c) => c.how === 'rewritten')) {
      io.stderr(`note: could not open the existing values (${existing.problem}); the given keys were encrypted again\n`);
    } else if (existing.problem && sealer && existing.tokens.size > 0) {
      io.stderr(`note: could not open the file's data key (${existing.problem}); the new values have a data key of their own (one more KMS call to render)\n`);
    }
    if (flag(args, 'dry-run')) io.stdout(text);
    else if (text !== parsed.text) writeFileAtomic(file, io.cwd, text, { replace: true });
    io.stderr(summary(file, changes, []));
  },
};

export const unset: Command = {
  name: 'unset',
  summary: 'remove keys from a KmsSecret file, in place',
  help: `Usage: kmsecret unset FILE KEY [KEY …]

Removes the keys' lines from FILE and leaves every other byte as it is. No key
or credentials are needed.

Flags:
      --name NAME   the KmsSecret to edit when FILE holds several
      --dry-run     print the new file instead of writing it

Example:
  kmsecret unset app-secrets.kmsecret.yaml OLD_TOKEN`,
  flags: { name: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(args, io) {
    const [file, ...keys] = args.positional;
    if (!file || keys.length === 0) throw usageError('unset takes FILE and the keys to remove');
    const parsed = parseFile(readText(file, io.cwd), file);
    const target = selectKmsSecret(parsed, one(args, 'name'));
    const present = new Set(target.secret.data.map((d) => d.key));
    const missing = keys.filter((k) => !present.has(k));
    if (missing.length > 0) throw usageError(`${file} has no key ${missing.join(', ')}`);
    const text = editData(parsed, target, { set: new Map(), unset: new Set(keys) });
    if (flag(args, 'dry-run')) io.stdout(text);
    else writeFileAtomic(file, io.cwd, text, { replace: true });
    io.stderr(summary(file, [], keys));
  },
};

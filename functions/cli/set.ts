import { usageError } from '../errors.js';
import { dataKeyContext, Sealer, type SealerHome } from '../token/sealer.js';
import type { Token } from '../token/token.js';
import { all, flag, one, type ParsedArgs } from './args.js';
import type { Command, Context } from './command.js';
import { openExisting, sameBytes } from './existing.js';
import { readText, writeFileAtomic } from './files.js';
import { editData, type KmsSecretDoc, parseFile, selectKmsSecret } from './kmssecret-file.js';
import { keySpecFrom, requireName, scopeFrom, verifiedFileKey } from './keys.js';
import { checkValues, claimStdin, collectValues, type NamedValue, secretKeyPattern, Stdin } from './values.js';

/** `KEY=VALUE` words, and `KEY` words whose value is read from stdin (one at most). */
function parseWords(words: string[], stdin: Stdin): { literals: NamedValue[]; fromStdin: string[] } {
  const literals: NamedValue[] = [];
  const fromStdin: string[] = [];
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq === -1) {
      if (!secretKeyPattern.test(word))
        throw usageError(
          'set: an argument is neither KEY nor KEY=VALUE (Secret keys are letters, digits, "-", "_", ".")',
          'to read the value from stdin, pass only its key',
        );
      stdin.claim(`set … ${word}`);
      fromStdin.push(word);
      continue;
    }
    const key = word.slice(0, eq);
    // Never echo the word: it may be the value itself.
    if (eq === 0 || !secretKeyPattern.test(key)) throw usageError('set takes KEY=VALUE with a valid Secret key before "=" (letters, digits, "-", "_", ".")');
    literals.push({ key, value: new TextEncoder().encode(word.slice(eq + 1)), source: `set … ${key}=` });
  }
  return { literals, fromStdin };
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

/** New and changed values always get a data key made in this run: a data key that is already
 *  in the file may have been made by someone else, who could then read what is added. */
export async function newSealer(target: KmsSecretDoc, args: ParsedArgs, ctx: Context, tokens: readonly Token[]): Promise<Sealer> {
  const scope = scopeFrom(
    one(args, 'scope'),
    tokens.map((t) => t.binding.scope),
  );
  const spec = keySpecFrom(all(args, 'key'), ctx.settings) ?? (await verifiedFileKey(tokens, ctx, target.place.file ?? 'the file'));
  const home: SealerHome = { use: 'secret', scope, namespace: target.secret.namespace, name: target.secret.name };
  return new Sealer(spec.provider, await ctx.keys.generate(spec, dataKeyContext(home)), home);
}

export const set: Command = {
  name: 'set',
  summary: 'add or change values in a KmsSecret file, in place',
  help: `Usage: kmsecret set FILE KEY [KEY=VALUE …] [--from-file KEY=PATH] [--from-env-file PATH]

Encrypts the given values into FILE, rewriting only the lines of keys whose
value changed; every other byte (comments, order, other tokens) stays. KEY alone
reads its value from stdin, which keeps it out of your shell history: at a
terminal from a prompt that does not show what you type (Enter ends it), else
all of stdin (a warning says when it ends in a newline, as echo adds). A
symlinked FILE is written through: the link stays.

The new values get a data key of their own, made in this run (one provider
call): they never join a data key already in the file, whose maker could read
them. Each such data key costs the Secret one more KMS call to render; merge
them with \`kmsecret rotate --rekey FILE\` (needs decrypt rights). Values you give
that are unchanged keep their tokens when your credentials can open them.

Flags:
      --from-file KEY=PATH  a file's bytes (KEY=- reads stdin)
      --from-env-file PATH  KEY=VALUE lines
      --allow-empty         accept empty values (refused otherwise: an empty pipe is a mistake)
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
    'allow-empty': { type: 'boolean' },
    key: { type: 'string', repeat: true },
    scope: { type: 'string' },
    name: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  async run(args, ctx) {
    const [file, ...words] = args.positional;
    if (!file) throw usageError('set takes FILE and the keys to set', 'kmsecret set FILE KEY=VALUE …');
    const name = one(args, 'name');
    if (name !== undefined) requireName(name, '--name');
    const valueFlags = { literals: [] as string[], files: all(args, 'from-file'), envFiles: all(args, 'from-env-file') };
    const stdin = new Stdin(ctx);
    const given = parseWords(words, stdin);
    claimStdin(valueFlags, stdin);
    if (given.literals.length + given.fromStdin.length + valueFlags.files.length + valueFlags.envFiles.length === 0) {
      throw usageError('set: no values given', 'kmsecret set FILE KEY (value on stdin), KEY=VALUE, or --from-file KEY=PATH');
    }
    // The file first: a mistyped FILE fails before a prompt asks for a value.
    const parsed = parseFile(readText(file, ctx.cwd), file);
    const target = selectKmsSecret(parsed, name);
    const values: NamedValue[] = [...given.literals];
    for (const key of given.fromStdin) values.push(await stdin.value(key));
    values.push(...(await collectValues(valueFlags, ctx, stdin)));
    checkValues(values, flag(args, 'allow-empty'));
    const keys = values.map((v) => v.key);
    const existing = await openExisting(target, ctx.keys, new Set(keys));
    const changes: Change[] = values.map(({ key, value }) => {
      const old = existing.plaintexts.get(key);
      if (!existing.tokens.has(key)) return { key, how: 'added' };
      if (old === undefined) return { key, how: 'rewritten' };
      return { key, how: sameBytes(old, value) ? 'unchanged' : 'changed' };
    });
    const toSeal = values.filter((_, i) => changes[i]?.how !== 'unchanged');
    const sealer = toSeal.length > 0 ? await newSealer(target, args, ctx, [...existing.tokens.values()]) : undefined;
    const edit = { set: new Map(toSeal.map(({ key, value }) => [key, (sealer as Sealer).seal(key, value)])), unset: new Set<string>() };
    const text = editData(parsed, target, edit);
    if (existing.problem && changes.some((c) => c.how === 'rewritten')) {
      ctx.stderr(`note: could not open the existing values (${existing.problem}); the given keys were encrypted again\n`);
    }
    if (flag(args, 'dry-run')) ctx.stdout(text);
    else if (text !== parsed.text) writeFileAtomic(file, ctx.cwd, text, { replace: true });
    ctx.stderr(summary(file, changes, []));
  },
};

/** The closest of `candidates` to `word`, when it is close (a typo). */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0] as number;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const next = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = row[j] as number;
        row[j] = next;
      }
    }
    return row[b.length] as number;
  };
  let best: [string, number] | undefined;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d <= Math.max(1, Math.floor(c.length / 4)) && (!best || d < best[1])) best = [c, d];
  }
  return best?.[0];
}

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
  async run(args, ctx) {
    const [file, ...keys] = args.positional;
    if (!file || keys.length === 0) throw usageError('unset takes FILE and the keys to remove');
    const name = one(args, 'name');
    if (name !== undefined) requireName(name, '--name');
    const parsed = parseFile(readText(file, ctx.cwd), file);
    const target = selectKmsSecret(parsed, name);
    const present = target.secret.data.map((d) => d.key);
    const missing = keys.filter((k) => !present.includes(k));
    if (missing.length > 0) {
      const known = missing.every((k) => secretKeyPattern.test(k));
      const guess = missing.length === 1 && known ? closest(missing[0] as string, present) : undefined;
      throw usageError(
        `${file} has no key ${known ? missing.join(', ') : '(one of the arguments is not a key name)'}`,
        guess ? `did you mean ${guess}? (keys: ${present.join(', ') || 'none'})` : `its keys: ${present.join(', ') || 'none'}`,
      );
    }
    const text = editData(parsed, target, { set: new Map(), unset: new Set(keys) });
    if (flag(args, 'dry-run')) ctx.stdout(text);
    else writeFileAtomic(file, ctx.cwd, text, { replace: true });
    ctx.stderr(summary(file, [], keys));
  },
};

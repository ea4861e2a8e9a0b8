// kmsecret rotate: move every value of files to another key.
//
//   rotate FILE… --to-key KEY    re-wrap each data key (AWS → AWS inside KMS with
//                                ReEncrypt); the values' sealed parts stay
//   rotate FILE… --rekey         decrypt every value and seal each resource's
//                                values under one fresh data key (the resource's
//                                key, or --to-key): merges the data keys `set`
//                                added, shuts out whoever made the old ones, and
//                                converts v1 tokens to v2
import { type KmsecretError, KmsecretErrors, inputError, usageError } from '../errors.js';
import type { UnwrapRequest } from '../keys/key-service.js';
import { ProviderError } from '../providers/provider.js';
import type { KeySpec } from '../providers/registry.js';
import { planToken } from '../render/binding-rule.js';
import { unwrapIdOf, unwrapOf } from '../render/values.js';
import { bindingFor, encryptionContext, type Home, type Scope } from '../token/binding.js';
import { dataKeyContext, openToken, Sealer } from '../token/sealer.js';
import { rewrapped, type Token } from '../token/token.js';
import { isV1Token, parseV1Token, type V1Token } from '../token/v1.js';
import { all, flag } from './args.js';
import type { Command, Context } from './command.js';
import { type FileToken, fileTokens } from './file-tokens.js';
import { readText, writeFileAtomic } from './files.js';
import { checkOwnKeys, keySpecOf, scopeFrom, sharedKeySpec } from './keys.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A token of a file, read and checked against where it sits (v2), or as v1 (rekey only). */
type Read = { found: FileToken; home: Home } & ({ version: 2; token: Token } | { version: 1; token: V1Token });

function readTokens(found: readonly FileToken[], file: string, allowV1: boolean): Read[] {
  const errors: KmsecretError[] = [];
  const out: Read[] = [];
  for (const f of found) {
    const place = { file, field: f.field };
    if (!f.home) {
      errors.push(inputError('holds a kmsecret token where kmsecret does not decrypt', place, 'tokens belong in KmsSecret data and in container env values'));
      continue;
    }
    if (isV1Token(f.text)) {
      const v1 = parseV1Token(f.text);
      if (!allowV1) errors.push(inputError('is a v1 token, which only --rekey converts', place, 'kmsecret rotate --rekey FILE (needs decrypt rights)'));
      else if (!v1) errors.push(inputError('value is a damaged v1 token', place, 'restore it from git'));
      else {
        const { scope, namespace, name, key } = v1.binding;
        const expected = bindingFor(scope, f.home);
        if (expected.namespace !== namespace || expected.name !== name || expected.key !== key) {
          errors.push(
            inputError(
              'value is a v1 token written for another namespace, name or key than where it sits',
              place,
              'a token decrypts only where it was written for; encrypt the value again here',
            ),
          );
        } else out.push({ found: f, home: f.home, version: 1, token: v1 });
      }
      continue;
    }
    const planned = planToken(f.text, f.home, place, errors);
    if (planned?.form === 'token') out.push({ found: f, home: f.home, version: 2, token: planned.token });
  }
  if (errors.length > 0) throw new KmsecretErrors(errors);
  return out;
}

function requestOf(read: Read): UnwrapRequest {
  if (read.version === 2) return unwrapOf({ form: 'token', token: read.token, place: {} });
  const { provider, keyId, wrappedKey, context } = read.token;
  return { provider, keyId, wrapped: wrappedKey, context };
}

function idOf(read: Read): string {
  return read.version === 2
    ? unwrapIdOf({ form: 'token', token: read.token, place: {} })
    : `v1\u0000${read.token.provider}\u0000${read.token.wrappedKeyText}\u0000${JSON.stringify(read.token.context)}`;
}

/** --to-key: each data key wrapped again under `to`; the values are not touched. */
async function rewrapFile(text: string, reads: readonly Read[], to: KeySpec, ctx: Context): Promise<{ text: string; values: number; dataKeys: number }> {
  const groups = new Map<string, Read[]>();
  for (const read of reads) {
    if (read.version !== 2 || (read.token.provider === to.provider && read.token.keyId === to.keyId)) continue;
    const id = idOf(read);
    groups.set(id, [...(groups.get(id) ?? []), read]);
  }
  let out = text;
  for (const members of groups.values()) {
    const token = (members[0] as Read & { version: 2 }).token;
    const next = await ctx.keys.rewrap({ provider: token.provider, keyId: token.keyId }, token.wrappedKey, encryptionContext(token.binding), to);
    for (const read of members) out = out.split(read.found.text).join(rewrapped(read.token as Token, to.provider, next.keyId, next.wrapped));
  }
  return { text: out, values: [...groups.values()].reduce((n, g) => n + g.length, 0), dataKeys: groups.size };
}

/** --rekey: every value decrypted, and each resource's values sealed under one fresh data key. */
async function rekeyFile(
  text: string,
  reads: readonly Read[],
  to: KeySpec | undefined,
  file: string,
  ctx: Context,
): Promise<{ text: string; values: number; dataKeys: number }> {
  const outcomes = await ctx.keys.unwrapAll(new Map(reads.map((r) => [idOf(r), requestOf(r)])));
  const homes = new Map<string, Read[]>();
  for (const read of reads) {
    const id = `${read.found.resource}\u0000${read.home.use}`;
    homes.set(id, [...(homes.get(id) ?? []), read]);
  }
  const errors: KmsecretError[] = [];
  const plaintexts = new Map<Read, Uint8Array>();
  for (const read of reads) {
    const outcome = outcomes.get(idOf(read));
    const place = { file, field: read.found.field };
    if (!outcome?.ok) {
      if (outcome && 'error' in outcome)
        errors.push(outcome.error instanceof ProviderError ? outcome.error.toKmsecretError(read.token.provider, place) : outcome.error.at(place));
      continue;
    }
    const plaintext = openToken(read.token, outcome.plaintext);
    if (plaintext) plaintexts.set(read, plaintext);
    else errors.push(inputError('value does not decrypt: the token was tampered with or truncated', place, 'restore it from git'));
  }
  if (errors.length > 0) throw new KmsecretErrors(errors);
  let out = text;
  for (const members of homes.values()) {
    const first = members[0] as Read;
    const spec = to ?? sharedKeySpec(members.map((m) => m.token));
    if (!spec) throw usageError(`${file}: the values of ${first.found.resource} use several keys`, 'pass --to-key KEY to put them all under one');
    // The tokens' key id is not authenticated: AWS's was checked by KMS when every data key was
    // unwrapped with it above; age recipients only count when they are your own.
    if (!to) await checkOwnKeys(spec, ctx, file, '--to-key');
    let scope: Scope;
    try {
      scope = scopeFrom(
        undefined,
        members.map((m) => m.token.binding.scope),
      );
    } catch {
      throw usageError(
        `${file}: the values of ${first.found.resource} have several scopes; rekey keeps one data key per resource`,
        'write them again with one scope (kmsecret set --scope)',
      );
    }
    const home = { use: first.home.use, scope, namespace: first.home.namespace, name: first.home.name };
    const sealer = new Sealer(spec.provider, await ctx.keys.generate(spec, dataKeyContext(home)), home);
    for (const read of members) out = out.split(read.found.text).join(sealer.seal(read.home.key, plaintexts.get(read) as Uint8Array));
  }
  return { text: out, values: reads.length, dataKeys: homes.size };
}

export const rotate: Command = {
  name: 'rotate',
  summary: 'move every value of files to another key, or under one fresh data key per resource (--rekey)',
  help: `Usage: kmsecret rotate FILE… --to-key KEY [--dry-run]
       kmsecret rotate FILE… --rekey [--to-key KEY] [--dry-run]

--to-key alone re-wraps each data key in FILEs under KEY and rewrites the tokens
in place (one line per value changes; every other byte stays). From AWS KMS to
AWS KMS it uses ReEncrypt: no plaintext, not even a data key, leaves KMS. Any
other move unwraps the data key locally and wraps it again. The values are never
decrypted, so their sealed parts do not change.

--rekey decrypts every value and seals each resource's values (a KmsSecret, or a
workload's env) under one fresh data key made now: under the key its values
already use, or KEY. Use it
  - after many \`kmsecret set\`s, each of which adds a data key (and a KMS call
    at every render): the resource is back to one;
  - when whoever could make or open the old data keys must no longer read the
    values (a departed age recipient, a leaked data key);
  - to convert v1 tokens, which kmsecret-fn no longer decrypts.
It needs decrypt rights, and every value's line changes.

Works on KmsSecrets and on env tokens in workloads alike. One line per file on
stderr tells what was done.

Flags:
      --to-key KEY   the new key: AWS KMS key (ARN, alias/NAME, key id) or age recipient(s), repeatable for age
      --rekey        seal every value again under one fresh data key per resource
      --dry-run      say what would change, without any provider call

Examples:
  kmsecret rotate overlays/prod/*.kmsecret.yaml --to-key alias/team-a-2027
  kmsecret rotate overlays/prod/app-secrets.kmsecret.yaml --rekey`,
  flags: { 'to-key': { type: 'string', repeat: true }, rekey: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
  async run(args, ctx) {
    const files = args.positional;
    if (files.length === 0) throw usageError('rotate takes the files to rotate');
    const keys = all(args, 'to-key');
    const rekey = flag(args, 'rekey');
    if (keys.length === 0 && !rekey) throw usageError('rotate needs --to-key KEY, --rekey, or both');
    const to = keys.length > 0 ? keySpecOf(keys, '--to-key') : undefined;
    for (const file of files) {
      const text = readText(file, ctx.cwd);
      const reads = readTokens(fileTokens(text, file), file, rekey);
      if (reads.length === 0) {
        ctx.stderr(`${file}: nothing to rotate (no tokens)\n`);
        continue;
      }
      if (flag(args, 'dry-run')) {
        const dataKeys = new Set(reads.map(idOf)).size;
        ctx.stderr(
          rekey
            ? `${file}: would seal ${plural(reads.length, 'value')} (now under ${plural(dataKeys, 'data key')}) again under one fresh data key per resource${to ? ` for ${to.keyId}` : ''}\n`
            : `${file}: would rotate ${plural(reads.length, 'value')} (${plural(dataKeys, 'data key')}) to ${to?.keyId}\n`,
        );
        continue;
      }
      const result = rekey ? await rekeyFile(text, reads, to, file, ctx) : await rewrapFile(text, reads, to as KeySpec, ctx);
      if (result.values === 0) {
        ctx.stderr(`${file}: nothing to rotate (already under ${(to as KeySpec).keyId})\n`);
        continue;
      }
      writeFileAtomic(file, ctx.cwd, result.text, { replace: true });
      ctx.stderr(
        rekey
          ? `${file}: sealed ${plural(result.values, 'value')} again under ${plural(result.dataKeys, 'fresh data key')}${to ? ` for ${to.keyId}` : ''}\n`
          : `${file}: rotated ${plural(result.values, 'value')} (${plural(result.dataKeys, 'data key')}) to ${to?.keyId}\n`,
      );
    }
  },
};

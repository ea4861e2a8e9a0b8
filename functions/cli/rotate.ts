import { type KmsecretError, KmsecretErrors, usageError } from '../errors.js';
import { ProviderError } from '../providers/provider.js';
import { parseKeySpec, providerSet, type KeySpec, type ProviderSet } from '../providers/registry.js';
import { AdaptiveLimiter } from '../render/limiter.js';
import { retryPolicy, withRetries } from '../render/retry.js';
import { encryptionContext } from '../token/binding.js';
import { tokenGroupId } from '../render/values.js';
import { formatToken, tokenHead, type Token } from '../token/token.js';
import { all, flag } from './args.js';
import type { Command, Io } from './command.js';
import { readText, writeFileAtomic } from './files.js';
import { tokensIn } from './tokens-in.js';

interface Group {
  token: Token;
  texts: string[];
}

/** The new wrapping of one data key: inside KMS when both ends are the same AWS provider. */
async function rewrap(group: Group, to: KeySpec, providers: ProviderSet, signal: AbortSignal) {
  const { token } = group;
  const context = encryptionContext(token.binding);
  const from = await providers.get(token.provider);
  if (token.provider === to.provider) return from.rewrapDataKey(token.wrappedKey, token.keyId, context, to.keyId, signal);
  const dataKey = await from.unwrapDataKey(token.wrappedKey, token.keyId, context, signal);
  return (await providers.get(to.provider)).wrapDataKey(dataKey, to.keyId, context, signal);
}

function groupsOf(tokens: ReadonlyMap<string, Token>, to: KeySpec): Group[] {
  const groups = new Map<string, Group>();
  for (const [text, token] of tokens) {
    if (token.provider === to.provider && token.keyId === to.keyId) continue;
    const id = tokenGroupId(token);
    const group = groups.get(id) ?? { token, texts: [] };
    group.texts.push(text);
    groups.set(id, group);
  }
  return [...groups.values()];
}

async function rotateFile(file: string, to: KeySpec, io: Io, providers: ProviderSet, dryRun: boolean): Promise<void> {
  const text = readText(file, io.cwd);
  const tokens = tokensIn(text, file);
  const groups = groupsOf(tokens, to);
  const count = groups.reduce((n, g) => n + g.texts.length, 0);
  if (groups.length === 0) {
    io.stderr(`${file}: nothing to rotate (${tokens.size === 0 ? 'no tokens' : `already under ${to.keyId}`})\n`);
    return;
  }
  if (dryRun) {
    io.stderr(`${file}: would rotate ${count} value${count === 1 ? '' : 's'} (${groups.length} data key${groups.length === 1 ? '' : 's'}) to ${to.keyId}\n`);
    return;
  }
  const limiter = new AdaptiveLimiter(8);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 120_000);
  const stats = { attempts: 0, throttles: 0 };
  const errors: KmsecretError[] = [];
  let out = text;
  try {
    const rewrapped = await Promise.all(
      groups.map(async (group) => {
        try {
          return await withRetries((signal) => rewrap(group, to, providers, signal), limiter, retryPolicy(io.env), controller.signal, stats);
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          errors.push(error.toKmsecretError(group.token.provider, { file, field: group.token.binding.key }));
          return undefined;
        }
      }),
    );
    if (errors.length > 0) throw new KmsecretErrors(errors);
    groups.forEach((group, i) => {
      const next = rewrapped[i] as { wrapped: Uint8Array; keyId: string };
      for (const old of group.texts) {
        const token = tokens.get(old) as Token;
        const sealedText = old.slice(old.lastIndexOf(':') + 1);
        // The value's AEAD data is its binding, so the sealed part carries over unchanged.
        const replacement = formatToken(tokenHead(to.provider, { keyId: next.keyId, binding: token.binding }, next.wrapped), new Uint8Array(Buffer.from(sealedText, 'base64url')));
        out = out.split(old).join(replacement);
      }
    });
  } finally {
    clearTimeout(timer);
  }
  writeFileAtomic(file, io.cwd, out, { replace: true });
  io.stderr(`${file}: rotated ${count} value${count === 1 ? '' : 's'} (${groups.length} data key${groups.length === 1 ? '' : 's'}) to ${to.keyId}\n`);
}

export const rotate: Command = {
  name: 'rotate',
  summary: 'move every value of files to another key, without decrypting the values',
  help: `Usage: kmsecret rotate FILE… --to-key KEY [--dry-run]

Re-wraps each data key in FILEs under KEY and rewrites the tokens in place (one
line per value changes; every other byte stays). From AWS KMS to AWS KMS it uses
ReEncrypt: no plaintext, not even a data key, leaves KMS. Any other move (age to
age, age to AWS, AWS to age) unwraps the data key locally and wraps it again. The
values themselves are never decrypted, so their sealed parts do not change.

Works on KmsSecrets and on env tokens in workloads alike. One line per file on
stderr tells what was done.

Flags:
      --to-key KEY   the new key: AWS KMS key (ARN, alias/NAME, key id) or age recipient(s), repeatable for age
      --dry-run      say what would change, without any provider call

Example:
  kmsecret rotate overlays/prod/*.kmsecret.yaml --to-key alias/team-a-2027`,
  flags: { 'to-key': { type: 'string', repeat: true }, 'dry-run': { type: 'boolean' } },
  async run(args, io) {
    const files = args.positional;
    if (files.length === 0) throw usageError('rotate takes the files to rotate');
    const keys = all(args, 'to-key');
    if (keys.length === 0) throw usageError('--to-key is required', 'the key to move the values to');
    const to = parseKeySpec(keys);
    const providers = providerSet(io.env);
    for (const file of files) await rotateFile(file, to, io, providers, flag(args, 'dry-run'));
  },
};

// The values a KmsSecret file already holds, opened where the credentials allow.
// `set` and `edit` use them to leave unchanged values' tokens alone and to let
// new values join the file's data key (so the Secret still costs one call).
import { open } from '../crypto/envelope.js';
import { KmsecretError, KmsecretErrors } from '../errors.js';
import { ProviderError } from '../providers/provider.js';
import type { ProviderSet } from '../providers/registry.js';
import { fieldPath } from '../render/fields.js';
import { planToken } from '../render/plan-token.js';
import { type PlannedValue, tokenGroupId } from '../render/values.js';
import { encryptionContext } from '../token/binding.js';
import type { Token } from '../token/token.js';
import type { KmsSecretDoc } from './kmssecret-file.js';

export interface ExistingValues {
  tokens: Map<string, Token>;
  /** Plaintexts of the values that could be opened. */
  plaintexts: Map<string, Uint8Array>;
  /** The file's data key when all its tokens share one and it could be unwrapped. */
  shared?: { token: Token; dataKey: Uint8Array };
  /** Why values could not be opened, for one note on stderr. */
  problem?: string;
}

/** Parses every token (a malformed or misplaced one is an error: the file must be sound first). */
export function tokensOf(target: KmsSecretDoc): Map<string, Token> {
  const errors: KmsecretError[] = [];
  const tokens = new Map<string, Token>();
  for (const { key, token } of target.secret.data) {
    const planned = planToken(token, { ...target.secret.home, key }, { ...target.place, field: fieldPath(['data', key]) }, errors) as Extract<PlannedValue, { form: 'token' }> | undefined;
    if (planned) tokens.set(key, planned.token);
  }
  if (errors.length > 0) throw new KmsecretErrors(errors);
  return tokens;
}

export async function openExisting(target: KmsSecretDoc, providers: ProviderSet, want: ReadonlySet<string> | 'all'): Promise<ExistingValues> {
  const tokens = tokensOf(target);
  const result: ExistingValues = { tokens, plaintexts: new Map() };
  const groups = new Map<string, { token: Token; keys: string[] }>();
  for (const [key, token] of tokens) {
    const id = tokenGroupId(token);
    const group = groups.get(id) ?? { token, keys: [] };
    group.keys.push(key);
    groups.set(id, group);
  }
  for (const { token, keys } of groups.values()) {
    const needed = want === 'all' || groups.size === 1 || keys.some((k) => want.has(k));
    if (!needed) continue;
    let dataKey: Uint8Array;
    try {
      const provider = await providers.get(token.provider);
      dataKey = await provider.unwrapDataKey(token.wrappedKey, token.keyId, encryptionContext(token.binding));
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      result.problem ??= error.message;
      continue;
    }
    if (groups.size === 1) result.shared = { token, dataKey };
    for (const key of keys) {
      const t = tokens.get(key) as Token;
      const plaintext = open(dataKey, t.sealed, t.aad);
      if (plaintext) result.plaintexts.set(key, plaintext);
      else throw new KmsecretError('decrypt', 'value does not decrypt: the token was tampered with or truncated', { ...target.place, field: fieldPath(['data', key]) });
    }
  }
  return result;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// The values a KmsSecret file already holds, opened where the credentials allow.
// `set` uses them to leave unchanged values' tokens alone; `edit` shows them.
// New and changed values never join an existing data key: whoever made that
// key (anyone with kms:GenerateDataKey, any age recipient) could read them.
import { KmsecretError, KmsecretErrors } from '../errors.js';
import type { KeyService } from '../keys/key-service.js';
import { fieldPath } from '../krm/fields.js';
import { planToken } from '../render/binding-rule.js';
import { unwrapIdOf, unwrapOf, type PlannedValue } from '../render/values.js';
import { openToken } from '../token/sealer.js';
import type { Token } from '../token/token.js';
import type { KmsSecretDoc } from './kmssecret-file.js';

export interface ExistingValues {
  tokens: Map<string, Token>;
  /** Plaintexts of the values that could be opened. */
  plaintexts: Map<string, Uint8Array>;
  /** Why values could not be opened, for one note on stderr. */
  problem?: string;
}

/** Parses every token (a malformed or misplaced one is an error: the file must be sound first). */
export function tokensOf(target: KmsSecretDoc): Map<string, Token> {
  const errors: KmsecretError[] = [];
  const tokens = new Map<string, Token>();
  const { name, namespace } = target.secret;
  for (const { key, token } of target.secret.data) {
    const planned = planToken(token, { use: 'secret', namespace, name, key }, { ...target.place, field: fieldPath(['data', key]) }, errors);
    if (planned?.form === 'token') tokens.set(key, planned.token);
  }
  if (errors.length > 0) throw new KmsecretErrors(errors);
  return tokens;
}

/** Opens the values of `want` (every data key holding one of them), or all of them. */
export async function openExisting(target: KmsSecretDoc, keys: KeyService, want: ReadonlySet<string> | 'all'): Promise<ExistingValues> {
  const tokens = tokensOf(target);
  const result: ExistingValues = { tokens, plaintexts: new Map() };
  const groups = new Map<string, { value: PlannedValue; keys: string[] }>();
  for (const [key, token] of tokens) {
    const value: PlannedValue = { form: 'token', token, place: target.place };
    const id = unwrapIdOf(value);
    const group = groups.get(id) ?? { value, keys: [] };
    group.keys.push(key);
    groups.set(id, group);
  }
  const needed = [...groups].filter(([, g]) => want === 'all' || g.keys.some((k) => want.has(k)));
  if (needed.length === 0) return result;
  const outcomes = await keys.unwrapAll(new Map(needed.map(([id, g]) => [id, unwrapOf(g.value)])));
  for (const [id, group] of needed) {
    const outcome = outcomes.get(id);
    if (!outcome?.ok) {
      result.problem ??= outcome && 'error' in outcome ? outcome.error.message : 'not tried';
      continue;
    }
    for (const key of group.keys) {
      const plaintext = openToken(tokens.get(key) as Token, outcome.plaintext);
      if (!plaintext)
        throw new KmsecretError('decrypt', 'value does not decrypt: the token was tampered with or truncated', {
          ...target.place,
          field: fieldPath(['data', key]),
        });
      result.plaintexts.set(key, plaintext);
    }
  }
  return result;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

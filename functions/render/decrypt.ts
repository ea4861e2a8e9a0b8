// Stage 3 of the render, and its only I/O: every value of the render in one
// batch. Values are grouped by the data key they share; the key service
// unwraps each group's data key with one provider call (concurrently, bounded,
// retried, under one deadline); every value opens with its data key as that
// key arrives.
import { KmsecretError, KmsecretErrors } from '../errors.js';
import type { KeyService, UnwrapOutcome, UnwrapRequest } from '../keys/key-service.js';
import { ProviderError } from '../providers/provider.js';
import { openToken } from '../token/sealer.js';
import type { Token } from '../token/token.js';
import { type Plaintexts, type PlannedValue, unwrapIdOf, unwrapOf } from './values.js';

interface Group {
  request: UnwrapRequest;
  values: PlannedValue[];
  /** Values that did not open under the data key KMS gave back (tampered or truncated). */
  unopened: PlannedValue[];
}

/** The plaintext of every value. Throws KmsecretErrors; never returns part of a batch. */
export async function decrypt(values: readonly PlannedValue[], keys: KeyService): Promise<Plaintexts> {
  const groups = new Map<string, Group>();
  for (const value of values) {
    const id = unwrapIdOf(value);
    const group = groups.get(id);
    if (group) group.values.push(value);
    else groups.set(id, { request: unwrapOf(value), values: [value], unopened: [] });
  }
  const plaintexts = new Map<PlannedValue, Uint8Array>();
  // A group's values open as its data key arrives, while the other calls are in flight.
  const openGroup = (id: string, dataKey: Uint8Array) => {
    const group = groups.get(id) as Group;
    for (const value of group.values) {
      const plaintext = value.form === 'shush' ? dataKey : opened(value.token, dataKey);
      if (plaintext) plaintexts.set(value, plaintext);
      else group.unopened.push(value);
    }
  };
  const outcomes = await keys.unwrapAll(new Map([...groups].map(([id, g]) => [id, g.request])), openGroup);
  const errors: KmsecretError[] = [];
  let skipped = 0;
  // In the order of the values, however the answers came.
  for (const [id, group] of groups) {
    const outcome = outcomes.get(id) as UnwrapOutcome;
    if (!outcome.ok) {
      if ('skipped' in outcome) skipped++;
      else errors.push(failure(outcome.error, group));
      continue;
    }
    for (const value of group.unopened)
      errors.push(
        new KmsecretError(
          'decrypt',
          'value does not decrypt: the token was tampered with or truncated',
          value.place,
          `restore the token from git, or write the value again with \`kmsecret ${value.form === 'token' && value.token.binding.use === 'env' ? 'encrypt-value' : 'set'}\``,
        ),
      );
  }
  if (skipped > 0 && errors.length > 0) {
    errors.push(
      new KmsecretError(
        (errors[0] as KmsecretError).category,
        `${skipped} more data key${skipped === 1 ? ' was' : 's were'} not unwrapped: the run stopped at the failure${errors.length === 1 ? '' : 's'} above`,
      ),
    );
  }
  if (errors.length > 0) throw new KmsecretErrors(dedupe(errors));
  return plaintexts;
}

/** A value that does not open is reported with the others; nothing thrown here may get lost
 *  inside the key service's call. */
function opened(token: Token, dataKey: Uint8Array): Uint8Array | undefined {
  try {
    return openToken(token, dataKey);
  } catch {
    return undefined;
  }
}

function failure(error: ProviderError | KmsecretError, group: Group): KmsecretError {
  const first = group.values[0] as PlannedValue;
  const n = group.values.length;
  const more = n > 1 ? ` (and ${n - 1} more value${n > 2 ? 's' : ''} sharing its data key)` : '';
  const said =
    error instanceof ProviderError
      ? error.toKmsecretError(group.request.provider, first.place, more)
      : new KmsecretError(error.category, `${error.message}${more}`, { ...first.place, ...error.place }, error.hint);
  return first.form === 'shush' ? aboutShush(said, first.context) : said;
}

/** A shush value has no namespace/name binding of its own: a refusal names the context it was
 *  given instead, and where that context comes from. */
function aboutShush(error: KmsecretError, context: Readonly<Record<string, string>>): KmsecretError {
  const given = Object.keys(context).length === 0 ? 'no encryption context' : `the encryption context ${JSON.stringify(context)}`;
  const message = error.message
    .replace('KMS refused the data key', 'KMS refused the shush value')
    .replace(
      /its encryption context \(namespace\/name\) differs from the one it was written for/,
      `it was encrypted with another context than this render gives it (${given})`,
    );
  const hint =
    error.category === 'decrypt'
      ? `a shush value decrypts only with the context it was encrypted with (shush --context); set the same pairs in env.context of the KmsSecretTransformer that decrypts it (here: ${given})${error.hint?.includes('IAM') ? ", and let the role decrypt with that context (the key policy's kms:EncryptionContext conditions)" : ''}`
      : error.hint;
  return new KmsecretError(error.category, message, error.place, hint);
}

/** Unavailability is one fact however many groups saw it: say it once. */
function dedupe(errors: KmsecretError[]): KmsecretError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.category !== 'unavailable') return true;
    const key = e.message.replace(/ \(and \d+ more values?.*\)$/, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

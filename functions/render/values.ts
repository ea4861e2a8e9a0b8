// An encrypted value found by the plan, in one of the two forms kmsecret reads:
//
//   token  our format: a value sealed under a data key the provider wraps
//   shush  a raw base64 KMS ciphertext of the value itself (shush's format);
//          its "data key" is the value, so it costs one KMS call per distinct
//          ciphertext — the reason to move to tokens.
//
// Both reduce to "unwrap this blob with this provider, key and context", so the
// decrypt stage batches them the same way (keys/key-service.ts).
import type { ErrorPlace } from '../errors.js';
import { type UnwrapRequest, unwrapId } from '../keys/key-service.js';
import type { EncryptionContext } from '../providers/provider.js';
import { encryptionContext, sameEncryptionContext } from '../token/binding.js';
import type { Token } from '../token/token.js';

export type PlannedValue =
  | { form: 'token'; token: Token; place: ErrorPlace }
  | {
      form: 'shush';
      ciphertext: Uint8Array;
      ciphertextText: string;
      context: EncryptionContext;
      /** Where it sits (namespace, workload, variable), for placeholders; shush binds nothing itself. */
      home: { namespace: string; name: string; key: string };
      place: ErrorPlace;
    };

/** Every value's plaintext, after the decrypt stage (or its placeholder). */
export type Plaintexts = ReadonlyMap<PlannedValue, Uint8Array>;

/** The provider call a value needs. */
export function unwrapOf(value: PlannedValue): UnwrapRequest {
  if (value.form === 'shush') return { provider: 'aws', keyId: '', wrapped: value.ciphertext, context: value.context };
  const { token } = value;
  return { provider: token.provider, keyId: token.keyId, wrapped: token.wrappedKey, context: encryptionContext(token.binding) };
}

// The values of one Secret share their data key (token.ts decodes it once, so they share the
// bytes too) and its context: their id is worked out once, for the first of them.
const lastOfDataKey = new WeakMap<Uint8Array, { token: Token; id: string }>();

/** Values with equal ids share one provider call. */
export function unwrapIdOf(value: PlannedValue): string {
  if (value.form === 'shush') return unwrapId(unwrapOf(value));
  const { token } = value;
  const last = lastOfDataKey.get(token.wrappedKey);
  if (last && last.token.provider === token.provider && last.token.keyId === token.keyId && sameEncryptionContext(last.token.binding, token.binding))
    return last.id;
  const id = unwrapId(unwrapOf(value));
  lastOfDataKey.set(token.wrappedKey, { token, id });
  return id;
}

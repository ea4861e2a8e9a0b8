// An encrypted value found by the plan, in one of the two forms kmsecret reads:
//
//   token  our format: a value sealed under a data key the provider wraps
//   shush  a raw base64 KMS ciphertext of the value itself (shush's format);
//          its "data key" is the value, so it costs one KMS call per distinct
//          ciphertext — the reason to move to tokens.
//
// Both reduce to "unwrap this blob with this provider, key and context", so the
// decrypt stage batches them the same way.
import type { ErrorPlace } from '../errors.js';
import { contextKey, type EncryptionContext, encryptionContext, type Home } from '../token/binding.js';
import type { ProviderName, Token } from '../token/token.js';

export type PlannedValue =
  | { form: 'token'; token: Token; place: ErrorPlace }
  | {
      form: 'shush';
      ciphertext: Uint8Array;
      ciphertextText: string;
      context: EncryptionContext;
      /** Where it sits (namespace, workload, variable), for placeholders; shush binds nothing itself. */
      home: Home;
      place: ErrorPlace;
    };

/** One provider call: everything values sharing it have in common. */
export interface Unwrap {
  provider: ProviderName;
  /** '' when the blob itself names the key (shush). */
  keyId: string;
  wrapped: Uint8Array;
  context: EncryptionContext;
}

export function unwrapOf(value: PlannedValue, contextOf: (token: Token) => EncryptionContext): Unwrap {
  if (value.form === 'shush') return { provider: 'aws', keyId: '', wrapped: value.ciphertext, context: value.context };
  const { token } = value;
  return { provider: token.provider, keyId: token.keyId, wrapped: token.wrappedKey, context: contextOf(token) };
}

function id(provider: string, keyId: string, wrappedText: string, context: EncryptionContext): string {
  return [provider, keyId, wrappedText, contextKey(context)].join('\u0000');
}

/** Values with equal group ids share one provider call. */
export function groupId(value: PlannedValue, unwrap: Unwrap): string {
  const wrappedText = value.form === 'shush' ? value.ciphertextText : value.token.wrappedKeyText;
  return id(unwrap.provider, unwrap.keyId, wrappedText, unwrap.context);
}

/** The same grouping for tokens found by the CLI (rotate, set, edit): one data key, one id. */
export function tokenGroupId(token: Token): string {
  return id(token.provider, token.keyId, token.wrappedKeyText, encryptionContext(token.binding));
}

// One interface per key provider, as sops does it: the render and the CLI only
// ever talk to a KeyProvider, so GCP KMS or Vault transit would be one more
// file next to age.ts and aws-kms.ts, plus one line in registry.ts.
import { type ErrorPlace, KmsecretError } from '../errors.js';
import type { EncryptionContext } from '../token/binding.js';
import type { ProviderName } from '../token/token.js';

export interface DataKey {
  /** The 32-byte data key. Lives only in memory, never printed. */
  plaintext: Uint8Array;
  /** The provider's wrapping of it, stored in every token of this data key. */
  wrapped: Uint8Array;
  /** The key id to record in tokens (AWS answers with the key ARN even for an alias). */
  keyId: string;
}

export interface KeyProvider {
  readonly name: ProviderName;
  /** A fresh data key for `keyId`, wrapped under `context`. One provider call. */
  generateDataKey(keyId: string, context: EncryptionContext, signal?: AbortSignal): Promise<DataKey>;
  /** `dataKey` wrapped for `keyId` under `context` (rotation to another provider). One provider call. */
  wrapDataKey(dataKey: Uint8Array, keyId: string, context: EncryptionContext, signal?: AbortSignal): Promise<{ wrapped: Uint8Array; keyId: string }>;
  /** The data key inside `wrapped`. One provider call. */
  unwrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, signal?: AbortSignal): Promise<Uint8Array>;
  /** `wrapped` wrapped again for `toKeyId`. AWS does it inside KMS (ReEncrypt), so the
   *  data key never reaches this process; age must unwrap and wrap. */
  rewrapDataKey(
    wrapped: Uint8Array,
    keyId: string,
    context: EncryptionContext,
    toKeyId: string,
    signal?: AbortSignal,
  ): Promise<{ wrapped: Uint8Array; keyId: string }>;
}

/** How a provider call failed, which decides retrying and the message. */
export type FailureKind =
  | 'throttled' //   retry with backoff; the limiter lowers concurrency
  | 'transient' //   5xx, reset connection: retry with backoff
  | 'unreachable' // DNS, refused connection after retries, deadline
  | 'credentials' // no credentials / region / identity to use
  | 'denied' //      the key policy or IAM said no
  | 'rejected' //    the provider says the wrapped key is not authentic for this key/context
  | 'key-state'; //  key disabled, pending deletion, not found

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'transient';
  }

  /** The user-facing error: refusals are "decryption refused" (4), the rest "unavailable" (5). */
  toKmsecretError(provider?: string, place: ErrorPlace = {}, suffix = ''): KmsecretError {
    const unavailable = this.kind === 'throttled' || this.kind === 'transient' || this.kind === 'unreachable';
    return new KmsecretError(unavailable ? 'unavailable' : 'decrypt', `${provider ? `${provider}: ` : ''}${this.message}${suffix}`, place, this.hint);
  }
}

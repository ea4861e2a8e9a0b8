// One interface per key provider, as sops does it: the render and the CLI only
// ever talk to a KeyProvider (through the key service, keys/key-service.ts), so
// GCP Cloud KMS or Vault transit is one more file next to age.ts and
// aws-kms.ts, plus its entry in registry.ts.
import { type ErrorPlace, KmsecretError } from '../errors.js';

/** KMS encryption context: authenticated with the data key, logged by CloudTrail, and what key
 *  policies can condition on (`kms:EncryptionContext:KEY`). Providers without one ignore it. */
export type EncryptionContext = Record<string, string>;

export interface DataKey {
  /** The 32-byte data key. Lives only in memory, never printed. */
  plaintext: Uint8Array;
  /** The provider's wrapping of it, stored in every token of this data key. */
  wrapped: Uint8Array;
  /** The key id to record in tokens (AWS answers with the key ARN even for an alias). */
  keyId: string;
}

export interface Wrapped {
  wrapped: Uint8Array;
  keyId: string;
}

export interface Unwrapped {
  plaintext: Uint8Array;
  /** The key that made the blob, as the provider reports it ('' where it does not say). */
  keyId: string;
}

export interface KeyProvider {
  /** A fresh data key for `keyId`, wrapped under `context`. One provider call. */
  generateDataKey(keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<DataKey>;
  /** `dataKey` wrapped for `keyId` under `context`. One provider call. */
  wrapDataKey(dataKey: Uint8Array, keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<Wrapped>;
  /** What `wrapped` holds. `keyId` '' means the blob names its key (a shush value). One provider call. */
  unwrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<Unwrapped>;
  /** `wrapped` wrapped again for `toKeyId`, or undefined when this provider cannot do it without
   *  unwrapping (then the key service unwraps and wraps). AWS does it inside KMS (ReEncrypt). */
  rewrapDataKey?(wrapped: Uint8Array, keyId: string, context: EncryptionContext, toKeyId: string, signal: AbortSignal): Promise<Wrapped>;
  /** The key ids this process can open with what it holds locally (age: the recipients of its
   *  identities), for providers where a key id cannot be checked otherwise. */
  ownKeyIds?(): Promise<string[]>;
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

  /** A refusal about this one data key (as opposed to a failure every call shares). */
  get refusal(): boolean {
    return this.kind === 'denied' || this.kind === 'rejected' || this.kind === 'key-state';
  }

  /** The user-facing error: refusals are "decryption refused" (4), the rest "unavailable" (5). */
  toKmsecretError(provider?: string, place: ErrorPlace = {}, suffix = ''): KmsecretError {
    const unavailable = this.kind === 'throttled' || this.kind === 'transient' || this.kind === 'unreachable';
    return new KmsecretError(unavailable ? 'unavailable' : 'decrypt', `${provider ? `${provider}: ` : ''}${this.message}${suffix}`, place, this.hint);
  }
}

// AWS KMS: the four operations kmsecret uses, and what their failures mean to a
// user. Everything about where to call comes from the standard AWS settings of
// the environment (credential chain, profile, region, AWS_ENDPOINT_URL_KMS),
// read by @aws-sdk/client-kms (aws-kms-http.ts) — never from a manifest, so a
// repository cannot point the function at another endpoint. Only the key comes
// from the token, where review sees it.
//
// Each call is made once: the key service (keys/) retries with backoff and
// jitter and lowers its concurrency on throttling.
import { KmsRegionClient } from './aws-kms-http.js';
import { keyBytes } from '../crypto/aes-gcm.js';
import { regionOfKey } from './key-forms.js';
import { type DataKey, type EncryptionContext, type KeyProvider, ProviderError, type Unwrapped, type Wrapped } from './provider.js';

export { sdkVersion } from './aws-kms-http.js';

export interface AwsKmsOptions {
  /** Sockets per region; real KMS answers far more than the SDK's default of 50 in parallel. */
  maxSockets?: number;
}

export class AwsKmsProvider implements KeyProvider {
  readonly #clients = new Map<string, KmsRegionClient>();

  constructor(private readonly options: AwsKmsOptions = {}) {}

  async generateDataKey(keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<DataKey> {
    const out = await this.#call(keyId, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context }, signal);
    const plaintext = blob(out.Plaintext);
    const wrapped = blob(out.CiphertextBlob);
    if (plaintext?.length !== keyBytes || !wrapped) throw new ProviderError('transient', 'KMS GenerateDataKey returned no valid AES-256 key');
    return { plaintext, wrapped, keyId: text(out.KeyId) ?? keyId };
  }

  async wrapDataKey(dataKey: Uint8Array, keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<Wrapped> {
    const out = await this.#call(keyId, 'Encrypt', { KeyId: keyId, Plaintext: base64(dataKey), EncryptionContext: context }, signal);
    const wrapped = blob(out.CiphertextBlob);
    if (!wrapped) throw new ProviderError('transient', 'KMS Encrypt returned no valid ciphertext');
    return { wrapped, keyId: text(out.KeyId) ?? keyId };
  }

  async unwrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<Unwrapped> {
    // A shush value names no key: the blob itself says which key made it.
    const input = { CiphertextBlob: base64(wrapped), ...(keyId ? { KeyId: keyId } : {}), EncryptionContext: context };
    const out = await this.#call(keyId, 'Decrypt', input, signal);
    const plaintext = blob(out.Plaintext);
    if (!plaintext) throw new ProviderError('transient', 'KMS Decrypt returned no valid plaintext');
    return { plaintext, keyId: text(out.KeyId) ?? '' };
  }

  async rewrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, toKeyId: string, signal: AbortSignal): Promise<Wrapped> {
    const input = {
      CiphertextBlob: base64(wrapped),
      SourceKeyId: keyId,
      SourceEncryptionContext: context,
      DestinationKeyId: toKeyId,
      DestinationEncryptionContext: context,
    };
    const out = await this.#call(toKeyId, 'ReEncrypt', input, signal);
    const rewrapped = blob(out.CiphertextBlob);
    if (!rewrapped) throw new ProviderError('transient', 'KMS ReEncrypt returned no valid ciphertext');
    return { wrapped: rewrapped, keyId: text(out.KeyId) ?? toKeyId };
  }

  // One client per region (a key ARN names its region; anything else uses the configured one).
  #client(keyId: string): KmsRegionClient {
    const region = regionOfKey(keyId) ?? '';
    let client = this.#clients.get(region);
    if (!client) {
      client = new KmsRegionClient(region, this.options.maxSockets ?? 64);
      this.#clients.set(region, client);
    }
    return client;
  }

  async #call(keyId: string, op: string, input: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    try {
      return await this.#client(keyId).call(op, input, signal);
    } catch (error) {
      throw classify(error, keyId, op);
    }
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A blob field of a KMS answer (base64 in JSON), or undefined when absent, empty or not in its
 *  one canonical spelling (as token/base64url.ts decodes: Node's decoder skips what it cannot
 *  read, and a garbled answer must not become a value). */
function blob(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === value ? bytes : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

interface SdkError {
  name?: string;
  clockCorrected?: boolean;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const credentialHint =
  'give this process AWS credentials: AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, as IRSA sets), or an instance role';

/** Maps an SDK failure to what the user can do about it. Messages name the key and the operation only. */
export function classify(thrown: unknown, keyId: string, op: string): ProviderError {
  const error = (thrown ?? {}) as SdkError;
  const name = error.name ?? '';
  const status = error.$metadata?.httpStatusCode;
  const code = error.code ?? '';
  keyId ||= 'the key the ciphertext names';
  const on = `kms:${op} on ${keyId}`;
  if (error.clockCorrected) return new ProviderError('transient', `KMS refused the time of ${on}: this machine's clock is off; corrected from KMS's answer`);
  if (name === 'AbortError' || code === 'ABORT_ERR') return new ProviderError('unreachable', `${on} did not finish before the deadline`);
  if (name === 'CredentialsProviderError' || (/credential/i.test(error.message ?? '') && !status)) {
    return new ProviderError('credentials', `no AWS credentials for ${on}`, credentialHint);
  }
  if (/region is missing/i.test(error.message ?? '') && !status) {
    return new ProviderError(
      'credentials',
      `no AWS region for ${on}`,
      'set AWS_REGION (or AWS_PROFILE with a region), or use the key ARN, which names its region',
    );
  }
  if (
    ['ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceededException'].includes(name) ||
    status === 429
  ) {
    return new ProviderError('throttled', `KMS throttled ${on}`, 'lower KMSECRET_CONCURRENCY, or ask AWS for a higher KMS request quota');
  }
  if (name === 'AccessDeniedException' || status === 403) {
    return new ProviderError(
      'denied',
      `AWS denied ${on}`,
      "the role's IAM policy or the key policy does not allow it for this value's encryption context (namespace/name); see the IAM section of the README",
    );
  }
  if (name === 'InvalidCiphertextException') {
    return new ProviderError(
      'rejected',
      `KMS refused the data key (${op}): it was tampered with, or its encryption context (namespace/name) differs from the one it was written for`,
    );
  }
  if (name === 'IncorrectKeyException') {
    return new ProviderError('rejected', `the data key was not encrypted under ${keyId}, the key its token names (tampered token?)`);
  }
  if (['NotFoundException', 'DisabledException', 'KMSInvalidStateException', 'KeyUnavailableException', 'InvalidKeyUsageException'].includes(name)) {
    return new ProviderError('key-state', `KMS cannot use ${keyId} (${name})`, 'check that the key exists in this account and region and is enabled');
  }
  if (['ENOTFOUND', 'EAI_AGAIN'].includes(code)) {
    return new ProviderError('unreachable', `cannot resolve the KMS endpoint for ${on}`, 'check AWS_REGION / AWS_ENDPOINT_URL_KMS and DNS');
  }
  if (
    (status !== undefined && status >= 500) ||
    name === 'MalformedAnswer' ||
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code) ||
    name === 'TimeoutError' ||
    /socket hang up/i.test(error.message ?? '')
  ) {
    return new ProviderError(
      'transient',
      `KMS did not answer ${on} (${code || name || status})`,
      'check the network path to KMS (proxy, VPC endpoint, AWS_ENDPOINT_URL_KMS)',
    );
  }
  return new ProviderError('rejected', `KMS failed ${on}: ${name || 'unknown error'}`);
}

// AWS KMS through @aws-sdk/client-kms. Everything about where to call comes
// from the standard AWS settings of the environment (credential chain, profile,
// region, AWS_ENDPOINT_URL_KMS) — never from a manifest, so a repository cannot
// point the function at another endpoint. Only the key comes from the token,
// where review sees it.
//
// Retries are not left to the SDK (maxAttempts 1): the key service (keys/) retries
// with backoff and jitter and lowers its concurrency on throttling, which it
// could not do if the SDK swallowed the throttles.
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient, ReEncryptCommand, type KMSClientConfig } from '@aws-sdk/client-kms';
import { regionOfKey } from './key-forms.js';
import { type DataKey, type EncryptionContext, type KeyProvider, ProviderError, type Unwrapped, type Wrapped } from './provider.js';

export interface AwsKmsOptions {
  /** Sockets per client; real KMS answers far more than the SDK's default of 50 in parallel. */
  maxSockets?: number;
}

export class AwsKmsProvider implements KeyProvider {
  readonly #clients = new Map<string, KMSClient>();

  constructor(private readonly options: AwsKmsOptions = {}) {}

  async generateDataKey(keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<DataKey> {
    const command = new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
    const out = await this.#call(keyId, 'GenerateDataKey', (client) => client.send(command, { abortSignal: signal }));
    if (!out.Plaintext || !out.CiphertextBlob) throw new ProviderError('transient', 'KMS GenerateDataKey returned no key');
    return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob, keyId: out.KeyId ?? keyId };
  }

  async wrapDataKey(dataKey: Uint8Array, keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<Wrapped> {
    const command = new EncryptCommand({ KeyId: keyId, Plaintext: dataKey, EncryptionContext: context });
    const out = await this.#call(keyId, 'Encrypt', (client) => client.send(command, { abortSignal: signal }));
    if (!out.CiphertextBlob) throw new ProviderError('transient', 'KMS Encrypt returned no ciphertext');
    return { wrapped: out.CiphertextBlob, keyId: out.KeyId ?? keyId };
  }

  async unwrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, signal: AbortSignal): Promise<Unwrapped> {
    // A shush value names no key: the blob itself says which key made it.
    const command = new DecryptCommand({ CiphertextBlob: wrapped, ...(keyId ? { KeyId: keyId } : {}), EncryptionContext: context });
    const out = await this.#call(keyId, 'Decrypt', (client) => client.send(command, { abortSignal: signal }));
    if (!out.Plaintext) throw new ProviderError('transient', 'KMS Decrypt returned no plaintext');
    return { plaintext: out.Plaintext, keyId: out.KeyId ?? '' };
  }

  async rewrapDataKey(wrapped: Uint8Array, keyId: string, context: EncryptionContext, toKeyId: string, signal: AbortSignal): Promise<Wrapped> {
    const command = new ReEncryptCommand({
      CiphertextBlob: wrapped,
      SourceKeyId: keyId,
      SourceEncryptionContext: context,
      DestinationKeyId: toKeyId,
      DestinationEncryptionContext: context,
    });
    const out = await this.#call(toKeyId, 'ReEncrypt', (client) => client.send(command, { abortSignal: signal }));
    if (!out.CiphertextBlob) throw new ProviderError('transient', 'KMS ReEncrypt returned no ciphertext');
    return { wrapped: out.CiphertextBlob, keyId: out.KeyId ?? toKeyId };
  }

  // One client per region (a key ARN names its region; anything else uses the configured one).
  #client(keyId: string): KMSClient {
    const region = regionOfKey(keyId) ?? '';
    let client = this.#clients.get(region);
    if (!client) {
      const sockets = this.options.maxSockets ?? 64;
      const config: KMSClientConfig = {
        maxAttempts: 1,
        requestHandler: {
          httpAgent: { keepAlive: true, maxSockets: sockets },
          httpsAgent: { keepAlive: true, maxSockets: sockets },
          connectionTimeout: 5_000,
        },
      };
      if (region) config.region = region;
      client = new KMSClient(config);
      this.#clients.set(region, client);
    }
    return client;
  }

  async #call<Out>(keyId: string, op: string, run: (client: KMSClient) => Promise<Out>): Promise<Out> {
    try {
      return await run(this.#client(keyId));
    } catch (error) {
      throw classify(error, keyId, op);
    }
  }
}

interface SdkError {
  name?: string;
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
  if (name === 'AbortError' || code === 'ABORT_ERR') return new ProviderError('unreachable', `${on} did not finish before the deadline`);
  if (name === 'CredentialsProviderError' || (/credential/i.test(error.message ?? '') && !status)) {
    return new ProviderError('credentials', `no AWS credentials for ${on}`, credentialHint);
  }
  if (/region is missing/i.test(error.message ?? '')) {
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

// AWS KMS through @aws-sdk/client-kms. Everything about where to call comes
// from the standard AWS settings of the environment (credential chain, profile,
// region, AWS_ENDPOINT_URL_KMS) — never from a manifest, so a repository cannot
// point the function at another endpoint. Only the key comes from the token,
// where review sees it.
//
// Retries are not left to the SDK (maxAttempts 1): the key service (keys/) retries
// with backoff and jitter and lowers its concurrency on throttling, which it
// could not do if the SDK swallowed the throttles.
import {
  DecryptCommand,
  type DecryptCommandOutput,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReEncryptCommand,
  type KMSClientConfig,
} from '@aws-sdk/client-kms';
import { regionOfKey } from './key-forms.js';
import { type DataKey, type EncryptionContext, type KeyProvider, ProviderError, type Unwrapped, type Wrapped } from './provider.js';

/** The pinned SDK version, for the user agent (test/unit/aws-client.test.ts keeps it in step with package.json). */
export const sdkVersion = '3.1164.0';

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
    const out = await this.#call(keyId, 'Decrypt', (client) => sendDecrypt(client, command, signal));
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
        streamCollector: collectBody,
      };
      if (region) config.region = region;
      client = new KMSClient(config);
      lighten(client);
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

// What the SDK does per call that a render does not need, cut where the SDK allows it; the
// credential chain and SigV4 signing stay the SDK's own. Measured (1,000 Decrypts at
// concurrency 16 against a local KMS server): about 560 µs of CPU per call before, 310 after.

type DecryptHandler = (command: DecryptCommand) => Promise<{ output: DecryptCommandOutput }>;
const decryptHandlers = new WeakMap<KMSClient, WeakMap<object, DecryptHandler>>();
const noSignal = {};

/**
 * client.send(command, options) resolves the whole middleware stack again for every call
 * (clone, sort, wrap). The SDK's own `cacheMiddleware` keeps one resolved stack per command
 * class, but only for calls without options, i.e. without an abort signal; this keeps one
 * per client and abort signal (a run has one deadline signal). It assumes, as cacheMiddleware
 * does, that the stack and config do not change after the first call. Decrypt only: the
 * resolved stack keeps its first command, and a Decrypt command holds no plaintext.
 */
function sendDecrypt(client: KMSClient, command: DecryptCommand, signal: AbortSignal | undefined): Promise<DecryptCommandOutput> {
  let bySignal = decryptHandlers.get(client);
  if (!bySignal) decryptHandlers.set(client, (bySignal = new WeakMap()));
  let handler = bySignal.get(signal ?? noSignal);
  if (!handler) {
    handler = command.resolveMiddleware(client.middlewareStack, client.config, signal ? { abortSignal: signal } : undefined) as DecryptHandler;
    bySignal.set(signal ?? noSignal, handler);
  }
  return handler(command).then((result) => result.output);
}

/** A KMS response body is one small JSON document: gathered without pipe() into a Writable. */
function collectBody(stream: unknown): Promise<Uint8Array> {
  const body = stream as NodeJS.ReadableStream;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.on('error', reject);
    body.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
  });
}

const userAgent = `kmsecret aws-sdk-js/${sdkVersion} ua/2.1 os/${process.platform} lang/js md/nodejs#${process.versions.node} api/kms#${sdkVersion}`;

function lighten(client: KMSClient): void {
  // The default signer provider builds a new SignatureV4 (copying the whole client config)
  // for every request. A SignatureV4 keeps nothing per request: it asks the client's
  // credential provider at each signing (so credentials still refresh); one per client
  // signs the same.
  const makeSigner = client.config.signer;
  let signer: ReturnType<typeof makeSigner> | undefined;
  client.config.signer = (authScheme) => {
    if (authScheme) return makeSigner(authScheme);
    signer ??= makeSigner().catch((error: unknown) => {
      signer = undefined;
      throw error;
    });
    return signer;
  };
  const stack = client.middlewareStack;
  // X-Amzn-Trace-Id propagation for Lambda; never set here.
  stack.remove('recursionDetectionMiddleware');
  // Logs each call to config.logger, which is the SDK's NoOpLogger here.
  stack.remove('loggerMiddleware');
  // maxAttempts is 1 (the key service retries): SDK retries would only add a retry token, a
  // UUID and two headers per call. The signing step is placed after this name, so the name
  // stays, as a pass-through; clock-skew correction is the signing step's and stays.
  stack.add((next) => next, { name: 'retryMiddleware', step: 'finalizeRequest', priority: 'high', tags: ['RETRY'], override: true });
  // The SDK computes and escapes the same user agent again for every request.
  stack.remove('getUserAgentMiddleware');
  stack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) {
        request.headers['user-agent'] = userAgent;
        request.headers['x-amz-user-agent'] = `aws-sdk-js/${sdkVersion}`;
      }
      return next(args);
    },
    { name: 'kmsecretUserAgent', step: 'build', priority: 'low', override: true },
  );
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

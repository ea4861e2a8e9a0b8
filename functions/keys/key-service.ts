// The key service: every provider call kmsecret makes goes through here, from
// the render and from every CLI command. It owns how calls are made:
//
//   - batching: unwrapAll takes every data key a run needs, keyed by an id
//     (unwrapId); each distinct one costs exactly one provider call
//   - a ceiling: at most KMSECRET_MAX_DATA_KEYS distinct unwraps per run,
//     refused as a whole before the first call
//   - where calls may go: KMSECRET_KMS_KEYS, checked before a call for keys a
//     token names and on the answer for shush values (whose blob names its key)
//   - bounded, adaptive concurrency (limiter.ts), retries with backoff and
//     jitter (retry.ts), and one deadline for the whole run (KMSECRET_TIMEOUT):
//     when it passes, every call in flight or waiting fails with exit code 5
//   - failing fast: a failure every call shares (no credentials, KMS
//     unreachable) stops the batch at once, and so does a handful of refused
//     data keys (a repository probing keys it may not use)
import { setMaxListeners } from 'node:events';
import { keyBytes } from '../crypto/aes-gcm.js';
import { KmsecretError } from '../errors.js';
import { type DataKey, type EncryptionContext, ProviderError, type Wrapped } from '../providers/provider.js';
import { type KeySpec, type ProviderName, type ProviderSet, providers } from '../providers/registry.js';
import type { RetrySettings } from '../settings.js';
import { AdaptiveLimiter } from './limiter.js';
import { type CallStats, withRetries } from './retry.js';

export interface KeyServiceOptions {
  providers: ProviderSet;
  concurrency: number;
  timeoutMs: number;
  retry: RetrySettings;
  maxDataKeys: number;
  /** KMSECRET_KMS_KEYS; undefined: any key. */
  kmsKeys?: readonly string[];
  /** Refused data keys after which a batch stops trying the rest. */
  refusalsBeforeStop?: number;
  random?: () => number;
}

export interface UnwrapRequest {
  provider: ProviderName;
  /** '' when the blob itself names its key (a shush value). */
  keyId: string;
  wrapped: Uint8Array;
  context: EncryptionContext;
}

export type UnwrapOutcome =
  | { ok: true; plaintext: Uint8Array }
  | { ok: false; error: ProviderError | KmsecretError }
  /** Not tried: another failure of the batch stopped it (reported by that failure). */
  | { ok: false; skipped: true };

export interface KeyStats extends CallStats {
  /** Distinct unwraps asked for (one provider call each, before retries). */
  unwraps: number;
  lowestConcurrency: number;
}

/** A stable string for an encryption context: equal for equal contexts, whatever their key order. */
export const contextId = (context: EncryptionContext) =>
  JSON.stringify(
    Object.keys(context)
      .sort()
      .map((k) => [k, context[k]]),
  );

const base64Of = new WeakMap<Uint8Array, string>();

/** Requests with equal ids are the same provider call. (Tokens of one data key share their
 *  decoded bytes, so the encoding is done once per data key.) */
export function unwrapId(request: UnwrapRequest): string {
  let wrapped = base64Of.get(request.wrapped);
  if (wrapped === undefined) {
    wrapped = Buffer.from(request.wrapped).toString('base64');
    base64Of.set(request.wrapped, wrapped);
  }
  return [request.provider, request.keyId, wrapped, contextId(request.context)].join('\u0000');
}

/** These fail every call alike: stop at the first one instead of repeating it N times. */
const sharedFailures = new Set(['credentials', 'unreachable']);

export class KeyService {
  readonly stats: KeyStats = { attempts: 0, throttles: 0, unwraps: 0, lowestConcurrency: 0 };
  readonly #options: KeyServiceOptions;
  readonly #limiter: AdaptiveLimiter;
  readonly #random: () => number;
  #deadline = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  readonly #unwrapped = new Set<string>();
  /** What this run already unwrapped: asked again (a CLI command verifying a key), no new call. */
  readonly #opened = new Map<string, Uint8Array>();

  constructor(options: KeyServiceOptions) {
    this.#options = options;
    this.#limiter = new AdaptiveLimiter(options.concurrency);
    this.#random = options.random ?? Math.random;
    this.stats.lowestConcurrency = options.concurrency;
    // Every call in flight and every backoff listens to the deadline.
    setMaxListeners(0, this.#deadline.signal);
  }

  /** The deadline starts with the first provider call. */
  #arm(): AbortSignal {
    if (!this.#timer && !this.#deadline.signal.aborted) {
      this.#timer = setTimeout(() => this.#deadline.abort(deadlineError(this.#options.timeoutMs)), this.#options.timeoutMs);
      // The deadline must not keep a process alive that has nothing left to do.
      this.#timer.unref();
    }
    return this.#deadline.signal;
  }

  /** A new deadline for what follows (`kmsecret edit` after the editor closed). */
  restartDeadline(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#deadline.signal.aborted) {
      this.#deadline = new AbortController();
      setMaxListeners(0, this.#deadline.signal);
    }
  }

  /** Stops every call in flight or waiting; the timer no longer holds anything. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Every distinct data key of a run, each unwrapped once, concurrently. Never throws for
   *  one data key's failure: each outcome says what happened to it. Throws (before any call)
   *  when the run would unwrap more than KMSECRET_MAX_DATA_KEYS. `arrived` sees each data key
   *  as it comes, so that its values open while other calls are still in flight. */
  async unwrapAll(requests: ReadonlyMap<string, UnwrapRequest>, arrived?: (id: string, plaintext: Uint8Array) => void): Promise<Map<string, UnwrapOutcome>> {
    const fresh = [...requests.keys()].filter((id) => !this.#unwrapped.has(id));
    const total = this.#unwrapped.size + fresh.length;
    if (total > this.#options.maxDataKeys) {
      throw new KmsecretError(
        'decrypt',
        `this run needs ${total} data keys, more than KMSECRET_MAX_DATA_KEYS=${this.#options.maxDataKeys} allows; nothing was decrypted`,
        {},
        "each KmsSecret written by one `kmsecret create` is one data key; merge a file's data keys with `kmsecret rotate --rekey`, or have the pipeline raise KMSECRET_MAX_DATA_KEYS",
      );
    }
    for (const id of fresh) this.#unwrapped.add(id);
    this.stats.unwraps = this.#unwrapped.size;

    const outcomes = new Map<string, UnwrapOutcome>();
    const batch = new AbortController();
    setMaxListeners(0, batch.signal);
    const signal = AbortSignal.any([this.#arm(), batch.signal]);
    setMaxListeners(0, signal);
    let refusals = 0;
    let stopped = false;
    const stop = (reason: ProviderError) => {
      stopped = true;
      batch.abort(reason);
    };
    const limit = this.#options.refusalsBeforeStop ?? 5;
    /** A failure that will not be retried is recorded inside the call, before its slot goes to
     *  the next one, so that a stop it causes is in force before anything else is sent. */
    const note = (id: string, error: unknown): never => {
      // A call cut short by the deadline or a stop says so through the signal's reason.
      if (signal.aborted) throw error;
      if (error instanceof ProviderError && !error.retryable && !stopped) {
        outcomes.set(id, { ok: false, error });
        if (sharedFailures.has(error.kind)) stop(error);
        else if (error.refusal && ++refusals >= limit) stop(new ProviderError('denied', `stopped after ${limit} refused data keys`));
      }
      throw error;
    };

    await Promise.all(
      [...requests].map(async ([id, request]) => {
        const known = this.#opened.get(id);
        if (known) {
          outcomes.set(id, { ok: true, plaintext: known });
          arrived?.(id, known);
          return;
        }
        // A shush value's blob names its key: it is checked on the answer instead.
        const allowed = request.keyId === '' ? undefined : this.#allowed(request.provider, request.keyId);
        if (allowed) {
          outcomes.set(id, { ok: false, error: allowed });
          return;
        }
        try {
          const provider = await this.#options.providers.get(request.provider);
          const out = await withRetries(
            (s) =>
              provider
                .unwrapDataKey(request.wrapped, request.keyId, request.context, s)
                .then((out) => {
                  // A token's data key is an AES-256 key; another length is a garbled answer, not a tampered token.
                  if (request.keyId !== '' && out.plaintext.length !== keyBytes)
                    throw new ProviderError('transient', `${request.provider} answered with a data key of ${out.plaintext.length} bytes, not ${keyBytes}`);
                  return out;
                })
                .catch((error: unknown) => note(id, error)),
            this.#limiter,
            this.#options.retry,
            this.#random,
            signal,
            this.stats,
          );
          // A shush value names its key only in the blob: check the key KMS says it used.
          const refusedAfter = request.keyId === '' ? this.#allowed(request.provider, out.keyId, true) : undefined;
          if (refusedAfter) outcomes.set(id, { ok: false, error: refusedAfter });
          else {
            outcomes.set(id, { ok: true, plaintext: out.plaintext });
            this.#opened.set(id, out.plaintext);
            arrived?.(id, out.plaintext);
          }
        } catch (error) {
          if (outcomes.has(id)) return;
          // What every call shares and shows only after retries: KMS unreachable, the deadline.
          if (error instanceof ProviderError && sharedFailures.has(error.kind) && !stopped) {
            outcomes.set(id, { ok: false, error });
            stop(error);
            return;
          }
          if (stopped) {
            outcomes.set(id, { ok: false, skipped: true });
            return;
          }
          outcomes.set(id, {
            ok: false,
            error: error instanceof ProviderError || error instanceof KmsecretError ? error : unexpected(request.provider, error),
          });
        }
      }),
    );
    this.stats.lowestConcurrency = this.#limiter.lowest;
    return outcomes;
  }

  /** A KmsecretError when KMSECRET_KMS_KEYS does not let this run call `keyId`. */
  #allowed(provider: ProviderName, keyId: string, answered = false): KmsecretError | undefined {
    const list = this.#options.kmsKeys;
    const check = providers[provider].allowedBy;
    if (!list || !check) return undefined;
    if (check(keyId, list)) return undefined;
    const which = keyId ? `the key ${keyId}` : 'a key it does not name';
    return new KmsecretError(
      'decrypt',
      `${answered ? 'the value was encrypted under' : 'the token names'} ${which}, which is not in KMSECRET_KMS_KEYS: this pipeline does not use it${answered ? ' (the answer was discarded)' : ''}`,
      {},
      "encrypt the value under a key of your organisation (kmsecret create/set --key), or ask the pipeline's owner to add the key or its account to KMSECRET_KMS_KEYS",
    );
  }

  async #single<T>(provider: ProviderName, keyId: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const refused = this.#allowed(provider, keyId);
    if (refused) throw refused;
    const signal = this.#arm();
    await this.#options.providers.get(provider);
    return withRetries(run, this.#limiter, this.#options.retry, this.#random, signal, this.stats);
  }

  /** A fresh data key for `spec`, wrapped under `context`. */
  async generate(spec: KeySpec, context: EncryptionContext): Promise<DataKey> {
    const provider = await this.#options.providers.get(spec.provider);
    return this.#single(spec.provider, spec.keyId, (signal) => provider.generateDataKey(spec.keyId, context, signal));
  }

  /** One data key, unwrapped (a CLI command that needs exactly one). Throws on failure. */
  async unwrap(request: UnwrapRequest): Promise<Uint8Array> {
    const id = unwrapId(request);
    const outcome = (await this.unwrapAll(new Map([[id, request]]))).get(id) as UnwrapOutcome;
    if (outcome.ok) return outcome.plaintext;
    if ('skipped' in outcome) throw new ProviderError('unreachable', 'the call was stopped');
    throw outcome.error;
  }

  /** The key ids of `provider` this process can open with what it holds locally (age
   *  identities), or undefined where the provider has none (AWS: KMS decides). */
  async ownKeyIds(provider: ProviderName): Promise<string[] | undefined> {
    const p = await this.#options.providers.get(provider);
    return p.ownKeyIds?.();
  }

  /** `wrapped` (made by `from` under `context`) wrapped for `to`: inside the provider where it can
   *  (AWS ReEncrypt: the data key never leaves KMS), else unwrapped here and wrapped again. */
  async rewrap(from: KeySpec, wrapped: Uint8Array, context: EncryptionContext, to: KeySpec): Promise<Wrapped> {
    const source = await this.#options.providers.get(from.provider);
    if (from.provider === to.provider && source.rewrapDataKey) {
      const rewrap = source.rewrapDataKey.bind(source);
      const refused = this.#allowed(from.provider, from.keyId);
      if (refused) throw refused;
      return this.#single(to.provider, to.keyId, (signal) => rewrap(wrapped, from.keyId, context, to.keyId, signal));
    }
    const dataKey = await this.unwrap({ provider: from.provider, keyId: from.keyId, wrapped, context });
    const target = await this.#options.providers.get(to.provider);
    return this.#single(to.provider, to.keyId, (signal) => target.wrapDataKey(dataKey, to.keyId, context, signal));
  }
}

function deadlineError(timeoutMs: number): ProviderError {
  return new ProviderError(
    'unreachable',
    `the key provider did not answer within the deadline (${timeoutMs / 1000} s)`,
    'KMS is slow or unreachable from here; check the network path, or raise KMSECRET_TIMEOUT (seconds)',
  );
}

function unexpected(provider: ProviderName, error: unknown): KmsecretError {
  return new KmsecretError('internal', `${provider}: unexpected failure (${error instanceof Error ? error.name : 'unknown'})`);
}

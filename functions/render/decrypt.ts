// Stage 3 of the render, and its only I/O: one batch for every value of the
// render. Values are grouped by the data key they share; each group costs one
// provider call, all groups run concurrently under an adaptive bound with
// retries and one deadline. Then every value is opened with its data key.
//
// The batch takes values as the planner finds them (add), so that KMS round
// trips overlap with planning the rest of a large render; a data key is still
// asked for exactly once, however many values and items share it.
import { setMaxListeners } from 'node:events';
import { open } from '../crypto/envelope.js';
import { KmsecretError, KmsecretErrors } from '../errors.js';
import { type FailureKind, ProviderError } from '../providers/provider.js';
import type { ProviderSet } from '../providers/registry.js';
import { encryptionContext } from '../token/binding.js';
import { AdaptiveLimiter } from './limiter.js';
import { type CallStats, type RetryPolicy, withRetries } from './retry.js';
import { groupId, type PlannedValue, type Unwrap, unwrapOf } from './values.js';

export interface DecryptOptions {
  providers: ProviderSet;
  concurrency: number;
  timeoutMs: number;
  retry: RetryPolicy;
}

export interface DecryptStats extends CallStats {
  /** Provider calls the batch needed: one per distinct data key. */
  groups: number;
  lowestConcurrency: number;
}

/** These fail every call alike: stop the batch at the first one instead of repeating it N times. */
const global: FailureKind[] = ['credentials', 'unreachable'];

type Outcome = { dataKey: Uint8Array } | { error: unknown };

interface Group {
  unwrap: Unwrap;
  outcome: Promise<Outcome>;
}

export class DecryptBatch {
  readonly #groups = new Map<string, Group>();
  /** Each value's group, as add() found it (finish() needs it again). */
  readonly #groupOf = new WeakMap<PlannedValue, string>();
  readonly #limiter: AdaptiveLimiter;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #stats: CallStats = { attempts: 0, throttles: 0 };
  #stopped = false;

  constructor(private readonly options: DecryptOptions) {
    this.#limiter = new AdaptiveLimiter(options.concurrency);
    // Every in-flight call and every backoff listens to this one signal.
    setMaxListeners(0, this.#controller.signal);
    this.#timer = setTimeout(() => this.#controller.abort(new Error('deadline')), options.timeoutMs);
    // The deadline must not keep a process alive that has nothing left to do.
    this.#timer.unref();
  }

  /** Starts the provider call of every data key not asked for yet. */
  add(values: readonly PlannedValue[]): void {
    for (const value of values) {
      if (this.#groupOf.has(value)) continue;
      const unwrap = unwrapOf(value, (token) => encryptionContext(token.binding));
      const id = groupId(value, unwrap);
      this.#groupOf.set(value, id);
      if (!this.#groups.has(id)) this.#groups.set(id, { unwrap, outcome: this.#call(unwrap) });
    }
  }

  /** Stops everything in flight (a plan error: the render fails anyway). */
  abort(): void {
    this.#controller.abort(new Error('aborted'));
    clearTimeout(this.#timer);
  }

  /** The plaintext of every value, in order. Throws KmsecretErrors; never returns part of a batch. */
  async finish(values: readonly PlannedValue[], stats?: DecryptStats): Promise<Uint8Array[]> {
    this.add(values);
    const members = new Map<string, number[]>();
    values.forEach((value, index) => {
      const id = this.#groupOf.get(value) as string;
      const list = members.get(id);
      if (list) list.push(index);
      else members.set(id, [index]);
    });
    const errors: KmsecretError[] = [];
    const plaintexts: Uint8Array[] = new Array(values.length);
    try {
      for (const [id, indexes] of members) {
        const group = this.#groups.get(id) as Group;
        const outcome = await group.outcome;
        if ('error' in outcome) {
          if (outcome.error !== undefined) errors.push(failure(outcome.error, values, group.unwrap, indexes));
          continue;
        }
        for (const index of indexes) {
          const value = values[index] as PlannedValue;
          if (value.form === 'shush') {
            plaintexts[index] = outcome.dataKey;
            continue;
          }
          const plaintext = open(outcome.dataKey, value.token.sealed, value.token.aad);
          if (plaintext) plaintexts[index] = plaintext;
          else {
            errors.push(
              new KmsecretError('decrypt', 'value does not decrypt: the token was tampered with or truncated', value.place, 'restore the token from git, or write the value again with `kmsecret set`'),
            );
          }
        }
      }
    } finally {
      clearTimeout(this.#timer);
      if (stats) Object.assign(stats, this.#stats, { groups: this.#groups.size, lowestConcurrency: this.#limiter.lowest });
    }
    if (errors.length > 0) throw new KmsecretErrors(dedupe(errors));
    return plaintexts;
  }

  async #call(unwrap: Unwrap): Promise<Outcome> {
    const { provider: name, keyId, wrapped, context } = unwrap;
    try {
      const provider = await this.options.providers.get(name);
      const dataKey = await withRetries((signal) => provider.unwrapDataKey(wrapped, keyId, context, signal), this.#limiter, this.options.retry, this.#controller.signal, this.#stats);
      return { dataKey };
    } catch (error) {
      // Once one call showed a failure every call shares, the others only echo it.
      if (this.#stopped) return { error: undefined };
      if (error instanceof ProviderError && global.includes(error.kind)) {
        this.#stopped = true;
        this.#controller.abort(error);
      }
      return { error };
    }
  }
}

function failure(error: unknown, values: readonly PlannedValue[], unwrap: Unwrap, indexes: number[]): KmsecretError {
  const first = values[indexes[0] as number] as PlannedValue;
  const more = indexes.length > 1 ? ` (and ${indexes.length - 1} more value${indexes.length > 2 ? 's' : ''} sharing its data key)` : '';
  if (error instanceof ProviderError) return error.toKmsecretError(unwrap.provider, first.place, more);
  if (error instanceof KmsecretError) return error.at(first.place);
  return new KmsecretError('internal', `${unwrap.provider}: unexpected failure (${error instanceof Error ? error.name : 'unknown'})${more}`, first.place);
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

/** The whole batch at once (CLI commands that have all their values up front). */
export function decryptAll(values: readonly PlannedValue[], options: DecryptOptions, stats?: DecryptStats): Promise<Uint8Array[]> {
  return new DecryptBatch(options).finish(values, stats);
}

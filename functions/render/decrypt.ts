// Stage 3 of the render, and its only I/O: one batch for every value of the
// render. Values are grouped by the data key they share; each group costs one
// provider call, all groups run concurrently under an adaptive bound with
// retries and one deadline. Then every value is opened with its data key.
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

interface Group {
  unwrap: Unwrap;
  members: number[];
}

function groupsOf(values: readonly PlannedValue[]): Group[] {
  const groups = new Map<string, Group>();
  values.forEach((value, index) => {
    const unwrap = unwrapOf(value, (token) => encryptionContext(token.binding));
    const id = groupId(value, unwrap);
    const group = groups.get(id);
    if (group) group.members.push(index);
    else groups.set(id, { unwrap, members: [index] });
  });
  return [...groups.values()];
}

function failure(error: unknown, values: readonly PlannedValue[], group: Group): KmsecretError {
  const first = values[group.members[0] as number] as PlannedValue;
  const more = group.members.length > 1 ? ` (and ${group.members.length - 1} more value${group.members.length > 2 ? 's' : ''} sharing its data key)` : '';
  if (error instanceof ProviderError) return error.toKmsecretError(group.unwrap.provider, first.place, more);
  if (error instanceof KmsecretError) return error.at(first.place);
  return new KmsecretError('internal', `${group.unwrap.provider}: unexpected failure (${error instanceof Error ? error.name : 'unknown'})${more}`, first.place);
}

/** The plaintext of every value, in order. Throws KmsecretErrors; never returns part of a batch. */
export async function decryptAll(values: readonly PlannedValue[], options: DecryptOptions, stats?: DecryptStats): Promise<Uint8Array[]> {
  const groups = groupsOf(values);
  const limiter = new AdaptiveLimiter(options.concurrency);
  const controller = new AbortController();
  // Every in-flight call and every backoff listens to this one signal.
  setMaxListeners(0, controller.signal);
  const timer = setTimeout(() => controller.abort(new Error('deadline')), options.timeoutMs);
  const callStats: CallStats = { attempts: 0, throttles: 0 };
  const errors: KmsecretError[] = [];
  const plaintexts: Uint8Array[] = new Array(values.length);
  let stopped = false;
  try {
    await Promise.all(
      groups.map(async (group) => {
        const { provider: name, keyId, wrapped, context } = group.unwrap;
        let dataKey: Uint8Array;
        try {
          const provider = await options.providers.get(name);
          dataKey = await withRetries((signal) => provider.unwrapDataKey(wrapped, keyId, context, signal), limiter, options.retry, controller.signal, callStats);
        } catch (error) {
          // Once one call showed a failure every call shares, the others only echo it.
          if (stopped) return;
          errors.push(failure(error, values, group));
          if (error instanceof ProviderError && global.includes(error.kind)) {
            stopped = true;
            controller.abort(error);
          }
          return;
        }
        for (const index of group.members) {
          const value = values[index] as PlannedValue;
          if (value.form === 'shush') {
            plaintexts[index] = dataKey;
            continue;
          }
          const plaintext = open(dataKey, value.token.sealed, value.token.aad);
          if (plaintext) plaintexts[index] = plaintext;
          else {
            errors.push(
              new KmsecretError('decrypt', 'value does not decrypt: the token was tampered with or truncated', value.place, 'restore the token from git, or write the value again with `kmsecret set`'),
            );
          }
        }
      }),
    );
  } finally {
    clearTimeout(timer);
    if (stats) Object.assign(stats, callStats, { groups: groups.length, lowestConcurrency: limiter.lowest });
  }
  if (errors.length > 0) throw new KmsecretErrors(dedupe(errors));
  return plaintexts;
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

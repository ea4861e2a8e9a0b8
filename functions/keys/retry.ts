// Retrying one provider call: exponential backoff with full jitter (so a
// throttled batch does not come back in lockstep), a bounded number of
// attempts, and the run's deadline over all of it.
import { ProviderError } from '../providers/provider.js';
import type { RetrySettings } from '../settings.js';
import type { AdaptiveLimiter } from './limiter.js';

export interface CallStats {
  attempts: number;
  throttles: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `call` under the limiter until it succeeds, fails for good, or `signal` aborts
 *  (then the abort's reason, a ProviderError, is what it throws). */
export async function withRetries<T>(
  call: (signal: AbortSignal) => Promise<T>,
  limiter: AdaptiveLimiter,
  policy: RetrySettings,
  random: () => number,
  signal: AbortSignal,
  stats: CallStats,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw reasonOf(signal);
    let startedAt = 0;
    try {
      const result = await limiter.run(() => {
        if (signal.aborted) throw reasonOf(signal);
        stats.attempts++;
        startedAt = limiter.startedAt();
        return call(signal);
      });
      limiter.succeeded();
      return result;
    } catch (error) {
      if (signal.aborted) throw reasonOf(signal);
      if (!(error instanceof ProviderError) || !error.retryable) throw error;
      if (error.kind === 'throttled') {
        stats.throttles++;
        limiter.throttled(startedAt);
      }
      if (attempt >= policy.maxAttempts) {
        throw new ProviderError(error.kind === 'throttled' ? 'throttled' : 'unreachable', `${error.message}, ${attempt} times`, error.hint);
      }
      const backoff = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
      try {
        await sleep(random() * backoff, signal);
      } catch {
        throw reasonOf(signal);
      }
    }
  }
}

function reasonOf(signal: AbortSignal): ProviderError {
  return signal.reason instanceof ProviderError ? signal.reason : new ProviderError('unreachable', 'the call was stopped');
}

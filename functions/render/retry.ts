// Retrying one provider call: exponential backoff with full jitter (so a
// throttled batch does not come back in lockstep), a bounded number of
// attempts, and the render's deadline over all of it.
import { ProviderError } from '../providers/provider.js';
import type { AdaptiveLimiter } from './limiter.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  capMs: number;
  random: () => number;
}

export function retryPolicy(env: NodeJS.ProcessEnv): RetryPolicy {
  // AWS_MAX_ATTEMPTS keeps the meaning it has for the AWS SDK; the SDK's own retries are off.
  const attempts = Number(env.KMSECRET_MAX_ATTEMPTS || env.AWS_MAX_ATTEMPTS || 6);
  const base = Number(env.KMSECRET_RETRY_BASE_MS || 100);
  return {
    maxAttempts: Number.isInteger(attempts) && attempts >= 1 ? Math.min(attempts, 20) : 6,
    baseMs: Number.isFinite(base) && base >= 0 ? base : 100,
    capMs: 5_000,
    random: Math.random,
  };
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

export interface CallStats {
  attempts: number;
  throttles: number;
}

/** Runs `call` under the limiter until it succeeds, fails for good, or the deadline passes. */
export async function withRetries<T>(
  call: (signal: AbortSignal) => Promise<T>,
  limiter: AdaptiveLimiter,
  policy: RetryPolicy,
  signal: AbortSignal,
  stats: CallStats,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw deadlineError();
    let startedAt = 0;
    try {
      stats.attempts++;
      const result = await limiter.run(() => {
        startedAt = limiter.startedAt();
        return call(signal);
      });
      limiter.succeeded();
      return result;
    } catch (error) {
      if (signal.aborted) throw deadlineError();
      if (!(error instanceof ProviderError) || !error.retryable) throw error;
      if (error.kind === 'throttled') {
        stats.throttles++;
        limiter.throttled(startedAt);
      }
      if (attempt >= policy.maxAttempts) {
        throw new ProviderError(
          error.kind === 'throttled' ? 'throttled' : 'unreachable',
          `${error.message}, ${attempt} times`,
          error.hint,
        );
      }
      const backoff = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
      try {
        await sleep(policy.random() * backoff, signal);
      } catch {
        throw deadlineError();
      }
    }
  }
}

function deadlineError(): ProviderError {
  return new ProviderError(
    'unreachable',
    'decryption did not finish before the deadline',
    'KMS is slow or unreachable from here; check the network path, or raise KMSECRET_TIMEOUT (seconds)',
  );
}

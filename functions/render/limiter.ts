// Bounded, adaptive concurrency for provider calls (additive increase,
// multiplicative decrease, as TCP does): start at the configured bound, halve
// on a throttle (once per burst), grow back by one slot per window of successes. A throttling
// KMS therefore sees fewer requests at once instead of the same storm retried.

export class AdaptiveLimiter {
  #limit: number;
  #inFlight = 0;
  #successes = 0;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  readonly #waiting: Array<() => void> = [];
  /** Lowest limit reached, for the benchmark's report. */
  lowest: number;

  constructor(
    readonly max: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.#limit = max;
    this.lowest = max;
  }

  get limit(): number {
    return this.#limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    while (this.#inFlight >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#inFlight++;
    try {
      return await task();
    } finally {
      this.#inFlight--;
      this.#wake();
    }
  }

  /** When the call was started: throttles of calls sent before the last decrease belong to
   *  the burst that caused it, so a burst halves the limit once, as a TCP window does. */
  startedAt(): number {
    return this.now();
  }

  throttled(callStartedAt: number): void {
    if (callStartedAt < this.#lastDecrease) return;
    this.#lastDecrease = this.now();
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    this.lowest = Math.min(this.lowest, this.#limit);
    this.#successes = 0;
  }

  succeeded(): void {
    if (this.#limit >= this.max) return;
    if (++this.#successes >= this.#limit) {
      this.#successes = 0;
      this.#limit++;
      this.#wake();
    }
  }

  /** Lets as many waiters go as there are free slots; each re-checks on waking. */
  #wake(): void {
    let free = this.#limit - this.#inFlight;
    while (free-- > 0 && this.#waiting.length > 0) this.#waiting.shift()?.();
  }
}

// Bounded, adaptive concurrency for provider calls (additive increase,
// multiplicative decrease, as TCP does): start at the configured bound, halve
// on a throttle (once per burst), grow back by one slot per window of successes.
// A throttling KMS therefore sees fewer requests at once instead of the same
// storm retried.

export class AdaptiveLimiter {
  #limit: number;
  #inFlight = 0;
  #successes = 0;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  /** FIFO of callers waiting for a slot; `#head` is the next one (no O(n) shift). */
  #waiting: Array<() => void> = [];
  #head = 0;
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
    // A waiter is woken with its slot already taken, so it never has to queue again.
    if (this.#inFlight < this.#limit && this.#head === this.#waiting.length) this.#inFlight++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      this.#inFlight--;
      this.#drain();
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
      this.#drain();
    }
  }

  /** Hands free slots to waiters, first come first served. */
  #drain(): void {
    while (this.#inFlight < this.#limit && this.#head < this.#waiting.length) {
      this.#inFlight++;
      const next = this.#waiting[this.#head++] as () => void;
      next();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }
}

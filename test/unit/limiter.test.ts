import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from '../../functions/keys/limiter.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('AdaptiveLimiter', () => {
  it('never runs more than its limit at once, and runs everything', async () => {
    const limiter = new AdaptiveLimiter(4);
    let running = 0;
    let most = 0;
    const done = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        limiter.run(async () => {
          running++;
          most = Math.max(most, running);
          await tick();
          running--;
          return i;
        }),
      ),
    );
    expect(done).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(most).toBe(4);
  });

  it('halves once per burst of throttles and grows back one slot per window of successes', () => {
    let now = 0;
    const limiter = new AdaptiveLimiter(16, () => now);
    const sent = limiter.startedAt();
    now = 10;
    limiter.throttled(sent);
    limiter.throttled(sent); // the same burst
    expect(limiter.limit).toBe(8);
    now = 20;
    limiter.throttled(limiter.startedAt()); // a call sent after the decrease
    expect(limiter.limit).toBe(4);
    for (let i = 0; i < 4; i++) limiter.succeeded();
    expect(limiter.limit).toBe(5);
    expect(limiter.lowest).toBe(4);
  });

  it('keeps callers in order', async () => {
    const limiter = new AdaptiveLimiter(1);
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3, 4].map((n) =>
        limiter.run(async () => {
          order.push(n);
          await tick();
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3, 4]);
  });
});

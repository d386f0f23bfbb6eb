import { setTimeout as sleep } from "node:timers/promises";

/**
 * Paces work to a rate: tokens refill continuously at `rate` per second up
 * to `burst`; take(n) waits (with a timer, never spinning) until n tokens
 * are there. Timers have ~1 ms resolution, so callers take tokens in
 * batches (one datagram's worth) rather than one at a time.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(rate > 0)) throw new Error(`token bucket rate must be > 0, got ${rate}`);
    this.tokens = burst;
    this.last = now();
  }

  async take(n: number): Promise<void> {
    for (;;) {
      this.refill();
      // A request larger than the burst is let through once the bucket is full.
      const need = Math.min(n, this.burst);
      if (this.tokens >= need) {
        this.tokens -= n;
        return;
      }
      const waitMs = ((need - this.tokens) / this.rate) * 1000;
      await sleep(Math.max(1, Math.ceil(waitMs)));
    }
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }
}

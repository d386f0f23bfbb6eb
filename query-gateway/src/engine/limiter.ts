/**
 * The concurrency limit: at most `running` queries execute at once, at most
 * `queued` wait for a slot; beyond that a query is refused at once (busy,
 * retryable) instead of piling up memory and connections.
 */
import { QueryError } from "./errors.ts";

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly running: number,
    private readonly queued: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queueLength(): number {
    return this.waiting.length;
  }

  async run<T>(body: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await body();
    } finally {
      release();
    }
  }

  /** Takes a slot (waiting in line, or refused when the line is full); the returned function gives it back once. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.running) {
      if (this.waiting.length >= this.queued) {
        throw new QueryError("busy", "too many queries are running; retry shortly", {
          detail: `the gateway runs ${this.running} queries at once and queues ${this.queued} (GATEWAY_MAX_CONCURRENT, GATEWAY_MAX_QUEUED)`,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays counted.
      if (next !== undefined) next();
      else this.active--;
    };
  }
}

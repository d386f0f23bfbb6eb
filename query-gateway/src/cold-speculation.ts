/**
 * A cold-only query started before its consistent cut, from the cached tier
 * state, and kept only when the cut proves it is the query the gateway would
 * have run anyway.
 *
 * Why: a cold query's answer is a pure function of its DuckDB SQL, the data
 * files it reads (immutable, named by the snapshot) and the session TimeZone.
 * The cut must still run — it reads the catalog pointer and the chunk list
 * that decide the route (a late hot chunk inside the range makes it "both") —
 * but nothing in it changes a cold query whose plan comes out the same. So the
 * cold part runs beside the cut instead of after it, and the cut's round trip
 * (several ms on the embedded engine at tens of millions of hot rows) leaves
 * the query's latency. When the cut plans anything else (another route, a new
 * snapshot, other files, other SQL because now() moved), the speculative work
 * is closed and the query runs from the cut's plan as usual.
 */
import type { RowBatch, RowStream } from "./engine/engine.ts";
import type { Plan } from "./engine/plan.ts";
import type { Route } from "./route/route.ts";

type Release = () => Promise<void> | void;

/** What must be equal for a speculative cold part to stand in for the cut's own; null when no cold-only plan. */
export function coldPlanKey(r: Route, plan: Plan): string | null {
  // Lookup tables are read inside the cut, so a plan that joins them cannot start before it.
  if (plan.strategy !== "cold" || plan.refTables.length > 0) return null;
  return JSON.stringify([plan.coldSql, r.coldFiles.map((f) => f.path)]);
}

export class ColdSpeculation {
  private readonly held: Release[] = [];
  private readonly ready: Promise<RowStream | null>;
  private readonly abort = new AbortController();
  private settled = false;

  /**
   * Starts `start` at once and reads its first batch (for an aggregate, the
   * whole query's work). A failure is not reported: the query then runs
   * without speculation and meets the same failure, if any, on its own.
   * `start` gets a signal that fires on `signal` (the client's) and on `discard()`.
   */
  constructor(
    private readonly key: string,
    /** The cold plan it runs. */
    private readonly plan: Extract<Plan, { strategy: "cold" }>,
    signal: AbortSignal | undefined,
    start: (held: Release[], signal: AbortSignal) => Promise<RowStream>,
  ) {
    const both = signal === undefined ? this.abort.signal : AbortSignal.any([signal, this.abort.signal]);
    this.ready = start(this.held, both).then(primed, () => null);
  }

  /**
   * Its plan, when it is the plan of `r` too: the cold SQL depends on the route only through
   * its kind (the files go into the view), and on the instant only through now() literals.
   * Saves planning the query again after the cut (~0.5 ms of this thread, while DuckDB runs).
   */
  planFor(r: Route): Plan | null {
    return r.route === "cold" && !this.plan.usesNow ? this.plan : null;
  }

  /**
   * The speculative result when `key` matches, with what it holds moved to
   * `held`; otherwise null, after closing it. Either way, call once.
   */
  async take(key: string | null, held: Release[]): Promise<RowStream | null> {
    if (key !== this.key) {
      await this.discard();
      return null;
    }
    this.settled = true;
    const source = await this.ready;
    if (source === null) {
      await this.release();
      return null;
    }
    held.push(...this.held.splice(0));
    return source;
  }

  /** Interrupts the speculative work and releases what it holds; idempotent. */
  async discard(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    this.abort.abort();
    const source = await this.ready;
    await source?.close().catch(() => undefined);
    await this.release();
  }

  private async release(): Promise<void> {
    for (const r of this.held.splice(0).reverse()) await r();
  }
}

/** Reads the first batch now; the stream then hands it out before the rest. */
async function primed(source: RowStream): Promise<RowStream | null> {
  let first: RowBatch | null;
  try {
    first = await source.next();
  } catch {
    await source.close().catch(() => undefined);
    return null;
  }
  let pending = true;
  return {
    columns: source.columns,
    async next() {
      if (!pending) return first === null ? null : await source.next();
      pending = false;
      return first;
    },
    close: () => source.close(),
  };
}

/**
 * A query's result on its way to the client: the engine's row stream plus
 * the gateway's rules for it — the row limit (a result over the limit FAILS,
 * it is never silently truncated), the query deadline (checked before every
 * batch, so a slow reader cannot hold a cursor open past it), and cleanup
 * exactly once when the stream ends, fails or is abandoned (transaction end,
 * DuckDB session close, file-cache pins, the concurrency slot, metrics).
 */
import type { ResultColumn, RowBatch, RowStream } from "./engine/engine.ts";
import { QueryError } from "./engine/errors.ts";
import { GatewayError } from "./errors.ts";
import type { QueryInfo } from "./gateway.ts";

export interface QueryTimings {
  readonly hot: number;
  readonly cold: number;
  readonly total: number;
}

/** How a stream ended, for the owner's cleanup and metrics. */
export interface StreamEnd {
  /** The failure that ended it; undefined when every row was read. */
  readonly failure?: QueryError | GatewayError;
  /** Rows handed to the reader. */
  readonly rows: number;
}

export interface QueryStreamOptions {
  readonly info: QueryInfo;
  readonly rowLimit: number;
  /** Milliseconds left before the query's deadline; throws a timeout QueryError when none are. */
  readonly remaining: () => number;
  /** Timings so far; called once at the end. */
  readonly timings: () => QueryTimings;
  /** Releases what the query holds; runs once, after the source is closed. */
  readonly cleanup: (end: StreamEnd) => Promise<void>;
}

export class QueryStream {
  readonly info: QueryInfo;
  /** Batches read ahead and not handed out yet. */
  private readonly ahead: RowBatch[] = [];
  private sent = 0;
  private sourceDone = false;
  private reading = false;
  private failure: QueryError | GatewayError | null = null;
  private finished: Promise<void> | null = null;
  private endTimings: QueryTimings | null = null;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly source: RowStream,
    private readonly options: QueryStreamOptions,
  ) {
    this.info = options.info;
    // A reader that stops reading must not hold the cursor (and on the embedded engine, every
    // other client) past the query's deadline: the stream fails then even without a read.
    let ms = 0;
    try {
      ms = options.remaining();
    } catch {
      ms = 0;
    }
    this.deadline = setTimeout(() => this.expire(), ms);
    this.deadline.unref();
  }

  get columns(): readonly ResultColumn[] {
    return this.source.columns;
  }

  /** Rows handed out so far. */
  get rowCount(): number {
    return this.sent;
  }

  /** Rows handed out plus rows read ahead. */
  get rowCountAhead(): number {
    return this.ahead.reduce((n, b) => n + b.length, this.sent);
  }

  /** True when every row is read from the engine (the engine side is released); `rowCountAhead` is final. */
  get fullyBuffered(): boolean {
    return this.sourceDone && this.failure === null;
  }

  /** True once every row was handed out. */
  get complete(): boolean {
    return this.fullyBuffered && this.ahead.length === 0;
  }

  /**
   * Reads up to two batches ahead, so that failures before the first row (most
   * of them: engine errors, a small row limit) surface before the caller has
   * committed to a response status, and a result that fits releases its
   * engine — the hot transaction included — before any byte is sent.
   */
  async prime(): Promise<void> {
    for (let i = 0; i < 2 && !this.sourceDone; i++) {
      const batch = await this.read();
      if (batch !== null) this.ahead.push(batch);
    }
    if (this.sourceDone) await this.finish();
  }

  /** The next batch, or null after the last. A failure ends the stream and is thrown (again on later calls). */
  async next(): Promise<RowBatch | null> {
    const ready = this.ahead.shift();
    if (ready !== undefined) {
      this.sent += ready.length;
      return ready;
    }
    if (this.failure !== null) throw this.failure;
    const batch = this.sourceDone ? null : await this.read();
    if (batch === null) {
      await this.finish();
      return null;
    }
    this.sent += batch.length;
    return batch;
  }

  /** Ends the stream early (the client went away); the query counts as canceled. */
  async cancel(): Promise<void> {
    if (this.finished !== null) return this.finished;
    this.failure = new QueryError("timeout", "canceled: the client went away");
    this.ahead.length = 0;
    await this.finish();
  }

  /** Timings at the end (or now, while still open). */
  timings(): QueryTimings {
    return this.endTimings ?? this.options.timings();
  }

  private expire(): void {
    if (this.finished !== null || this.failure !== null) return;
    this.failure = new QueryError("timeout", "the query ran longer than its time limit", {
      detail: "the result was not read before the query's deadline",
    });
    this.ahead.length = 0;
    // A read in flight ends on the engine's own time limit and finishes the stream then.
    if (!this.reading) void this.finish().catch(() => undefined);
  }

  /** Reads one batch from the source with the deadline and row limit applied; fails the stream on error. */
  private async read(): Promise<RowBatch | null> {
    this.reading = true;
    try {
      this.options.remaining();
      const batch = await this.source.next();
      if (this.failure !== null) throw this.failure;
      if (batch === null) {
        this.sourceDone = true;
        return null;
      }
      if (this.rowCountAhead + batch.length > this.options.rowLimit) {
        throw new QueryError("limit", `the result has more than ${this.options.rowLimit} rows`, {
          detail: "add a LIMIT or aggregate further; the gateway's row limit is GATEWAY_ROW_LIMIT",
        });
      }
      return batch;
    } catch (error) {
      this.failure ??=
        error instanceof QueryError || error instanceof GatewayError
          ? error
          : new QueryError("internal", "the query failed while reading its result", { cause: error });
      this.ahead.length = 0;
      await this.finish();
      throw this.failure;
    } finally {
      this.reading = false;
    }
  }

  private finish(): Promise<void> {
    if (this.finished === null) {
      clearTimeout(this.deadline);
      const end: StreamEnd = {
        rows: this.rowCountAhead,
        ...(this.failure === null ? {} : { failure: this.failure }),
      };
      this.finished = (async () => {
        try {
          await this.source.close();
        } finally {
          this.endTimings = this.options.timings();
          await this.options.cleanup(end);
        }
      })();
    }
    return this.finished;
  }
}

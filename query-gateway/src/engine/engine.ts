/**
 * The engine interface: one small contract the gateway runs SQL through, with
 * two implementations (timescale: the hot tier; duckdb: the cold tier and the
 * merge of both). Results use one value model, the same on every engine, so
 * a query's answer does not depend on the route it took. No client types
 * (pg, DuckDB) cross this boundary.
 */

/** Column types of a result, coarsely: what a client needs to read the values. */
export type ValueType =
  | "boolean"
  | "integer"
  | "bigint"
  | "double"
  | "numeric"
  | "text"
  | "timestamptz"
  | "timestamp"
  | "date"
  | "interval"
  | "inet"
  | "bytea"
  | "json"
  | "unknown";

/**
 * A result value in its canonical JSON form: integers as numbers (as strings
 * beyond 2^53), numeric as a number when exact enough and a string otherwise,
 * timestamptz as ISO 8601 UTC (`2026-03-01T00:00:00Z`, fraction only when
 * non-zero), timestamp `2026-03-01T00:00:00`, date `2026-03-01`, inet as
 * Postgres prints it (IPv4 dotted, no /32), bytea as `\x…` hex.
 */
export type Value = string | number | boolean | null;

export interface ResultColumn {
  readonly name: string;
  readonly type: ValueType;
}

export interface ResultSet {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly Value[])[];
}

export interface QueryOptions {
  /** The session TimeZone the query's semantics use. */
  readonly timeZone: string;
  /** Time limit for this statement. */
  readonly timeoutMs: number;
  /** Most rows the result may have; one more fails with a `limit` QueryError. */
  readonly rowLimit: number;
  /** Values of $1, $2… as text (null = SQL NULL). */
  readonly params?: readonly (string | null)[];
  /** Aborted when the client gave up on the statement (cancel, its statement_timeout): stop the work. */
  readonly signal?: AbortSignal;
}

export type EngineName = "timescale" | "duckdb";

export interface Engine {
  readonly name: EngineName;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs one read-only statement. Errors are QueryError. */
  query(sql: string, options: QueryOptions): Promise<ResultSet>;
}

/** Rows of a result in the order the engine produced them, a batch at a time. */
export type RowBatch = readonly (readonly Value[])[];

/**
 * A result read incrementally: the engine keeps its cursor (a Postgres
 * cursor inside the query's transaction, a DuckDB result) open between
 * batches, so memory holds one batch and a slow reader slows the engine
 * instead of filling the gateway.
 */
export interface RowStream {
  readonly columns: readonly ResultColumn[];
  /** The next batch (never empty), or null after the last. Errors are QueryError. */
  next(): Promise<RowBatch | null>;
  /** Releases the cursor; idempotent, and safe while a `next()` is pending. */
  close(): Promise<void>;
}

/** Reads a stream to its end into one result (for callers that need it whole: pgwire, tests). */
export async function collectRows(stream: RowStream): Promise<ResultSet> {
  const rows: (readonly Value[])[] = [];
  try {
    for (let batch = await stream.next(); batch !== null; batch = await stream.next()) {
      for (const row of batch) rows.push(row);
    }
  } finally {
    await stream.close();
  }
  return { columns: stream.columns, rows };
}

/** A stream over rows already in memory. */
export function rowsStream(result: ResultSet, batchRows = 2048): RowStream {
  let at = 0;
  return {
    columns: result.columns,
    async next() {
      if (at >= result.rows.length) return null;
      const batch = result.rows.slice(at, at + batchRows);
      at += batchRows;
      return batch;
    },
    async close() {
      at = result.rows.length;
    },
  };
}

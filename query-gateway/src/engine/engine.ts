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

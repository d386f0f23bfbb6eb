/**
 * The hot-tier engine: a pg Pool on the read-only role. Every statement runs
 * in a READ ONLY transaction with statement_timeout and the session TimeZone
 * set LOCAL, so nothing a query does outlives it. `cut` opens the one
 * REPEATABLE READ READ ONLY transaction of the consistent cut (architecture
 * invariant 4): the catalog pointer, the chunk list and the hot part of a
 * query all see the same snapshot. Keep it short: on the embedded TimescaleDB
 * an open transaction blocks every other client.
 */
import pg from "pg";
import type { Engine, QueryOptions, ResultSet, Value } from "./engine.ts";
import { QueryError } from "./errors.ts";
import { fromPgText, pgValueType } from "./values.ts";

export interface TimescaleEngineConfig {
  /** The reader's connection URL. */
  readonly url: string;
  /** Pool size. */
  readonly poolSize: number;
  /** The longest a statement may run (the gateway's query timeout). */
  readonly statementTimeoutMs: number;
}

/** A statement runner inside one open transaction. */
export interface HotTransaction {
  /** Runs a query and returns canonical values; fails past `rowLimit` rows. */
  query(sql: string, options: Pick<QueryOptions, "rowLimit" | "params">): Promise<ResultSet>;
  /** Runs an internal statement and returns its rows as raw text, by column name. */
  rows(sql: string, params?: readonly unknown[]): Promise<Record<string, string | null>[]>;
}

type Isolation = "read committed" | "repeatable read";

/** Every value comes back as Postgres text; values.ts turns it into the canonical form. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/** Prefix that caps a query's rows; error positions are shifted back by its length. */
const LIMIT_PREFIX = "SELECT * FROM (";

export class TimescaleEngine implements Engine {
  readonly name = "timescale" as const;
  private pool: pg.Pool | undefined;

  constructor(private readonly config: TimescaleEngineConfig) {}

  async start(): Promise<void> {
    this.pool = new pg.Pool({
      connectionString: this.config.url,
      max: this.config.poolSize,
      query_timeout: this.config.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
    });
    // A pool emits errors of idle clients (server restarts); they are not query failures.
    this.pool.on("error", () => undefined);
    await this.transaction("read committed", { timeZone: "UTC", timeoutMs: 10_000 }, "", (tx) => tx.rows("SELECT 1"));
  }

  async stop(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  query(sql: string, options: QueryOptions): Promise<ResultSet> {
    return this.transaction("read committed", options, "", (tx) => tx.query(sql, options));
  }

  /**
   * One REPEATABLE READ READ ONLY transaction for the consistent cut.
   * `first` (internal statements without parameters, e.g. the tier state) runs
   * in the same round trip as BEGIN; `body` gets each statement's rows.
   */
  cut<T>(
    options: Pick<QueryOptions, "timeZone" | "timeoutMs">,
    first: string,
    body: (tx: HotTransaction, firstRows: Record<string, string | null>[][]) => Promise<T>,
  ): Promise<T> {
    return this.transaction("repeatable read", options, first, body);
  }

  private async transaction<T>(
    isolation: Isolation,
    options: Pick<QueryOptions, "timeZone" | "timeoutMs">,
    first: string,
    body: (tx: HotTransaction, firstRows: Record<string, string | null>[][]) => Promise<T>,
  ): Promise<T> {
    if (this.pool === undefined) throw new Error("timescale engine is not started");
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw pgError(error, 0);
    }
    let broken = false;
    try {
      // One simple-protocol round trip: BEGIN, the LOCAL settings and the caller's first statements.
      const setup = [
        `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()} READ ONLY`,
        `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`,
        `SET LOCAL TimeZone = ${literal(options.timeZone)}`,
        "SET LOCAL DateStyle = 'ISO, MDY'",
        "SET LOCAL IntervalStyle = 'postgres'",
      ].join("; ");
      const results = (await client.query({ text: `${setup}; ${first}`, types: RAW_TEXT })) as unknown as
        | pg.QueryResult
        | pg.QueryResult[];
      const all = Array.isArray(results) ? results : [results];
      const firstRows = all.slice(5).map((r) => r.rows as Record<string, string | null>[]);
      const result = await body(transactionOf(client), firstRows);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      const failure = error instanceof QueryError ? error : pgError(error, 0);
      if (failure.kind === "timeout" || failure.kind === "unavailable") {
        // The connection may still be running the statement: drop it rather than queue a ROLLBACK behind it.
        broken = true;
      } else {
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
      }
      throw failure;
    } finally {
      client.release(broken);
    }
  }
}

/**
 * statement_timeout is the real limit; the client-side timeout is the backstop
 * for servers where it does not fire (the embedded WASM engine has no timer
 * signals, measured: a 200M-row generate_series ran past a 700 ms limit).
 */
const CLIENT_TIMEOUT_GRACE_MS = 2_000;

function transactionOf(client: pg.PoolClient): HotTransaction {
  return {
    async query(sql, options) {
      const text = `${LIMIT_PREFIX}${sql}\n) AS q LIMIT ${options.rowLimit + 1}`;
      let result: pg.QueryArrayResult<string[]>;
      try {
        result = await client.query({
          text,
          values: options.params === undefined ? [] : [...options.params],
          rowMode: "array",
          types: RAW_TEXT,
        });
      } catch (error) {
        throw pgError(error, LIMIT_PREFIX.length);
      }
      if (result.rows.length > options.rowLimit) {
        throw new QueryError("limit", `the result has more than ${options.rowLimit} rows`, {
          detail: "add a LIMIT or aggregate further; the gateway's row limit is GATEWAY_ROW_LIMIT",
        });
      }
      const columns = result.fields.map((f) => ({ name: f.name, type: pgValueType(f.dataTypeID) }));
      const rows = result.rows.map((row) =>
        columns.map((c, i): Value => fromPgText(c.type, (row[i] as string | null | undefined) ?? null)),
      );
      return { columns, rows };
    },
    async rows(sql, params) {
      try {
        const result = await client.query({
          text: sql,
          values: params === undefined ? [] : [...params],
          types: RAW_TEXT,
        });
        return result.rows as Record<string, string | null>[];
      } catch (error) {
        throw pgError(error, 0);
      }
    },
  };
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

interface PgErrorFields {
  code?: string;
  message?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

/** Maps a pg failure to a QueryError; messages about the client's SQL pass through, transport failures do not. */
export function pgError(error: unknown, positionShift: number): QueryError {
  if (error instanceof QueryError) return error;
  const e = (error ?? {}) as PgErrorFields;
  const code = typeof e.code === "string" ? e.code : "";
  if (code === "57014" || e.message === "Query read timeout") {
    return new QueryError("timeout", "the query ran longer than its time limit on the hot tier", { cause: error });
  }
  if (/^(08|57P|53)/.test(code) || /^E[A-Z]+$/.test(code) || code === "") {
    return new QueryError("unavailable", "the hot database is unavailable", { cause: error, sqlState: "08006" });
  }
  if (/^(42|22|21|0A|2B|25|23|44|40)/.test(code)) {
    const position = e.position === undefined ? undefined : Number(e.position) - positionShift;
    const detail = [e.detail, e.hint].filter((s) => s !== undefined && s !== "").join(" ");
    return new QueryError("query", e.message ?? "query failed", {
      sqlState: code,
      cause: error,
      ...(detail === "" ? {} : { detail }),
      ...(position !== undefined && position > 0 ? { position } : {}),
    });
  }
  return new QueryError("internal", "the hot tier failed to run the query", { cause: error, sqlState: code });
}

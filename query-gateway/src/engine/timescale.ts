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
import type { Engine, QueryOptions, ResultColumn, ResultSet, RowBatch, RowStream, Value } from "./engine.ts";
import { QueryError } from "./errors.ts";
import { fromPgText, pgValueType } from "./values.ts";

export interface TimescaleEngineConfig {
  /** The reader's connection URL. */
  readonly url: string;
  /** Pool size. */
  readonly poolSize: number;
  /** The longest a statement may run (the gateway's query timeout). */
  readonly statementTimeoutMs: number;
  /**
   * Statements to PREPARE on each connection before its first use (once, outside any
   * transaction); callers then run `EXECUTE name`. For the cut's own statements: their
   * plans are made once per connection instead of in every cut (planning the chunk-list
   * join took ~3 of the cut's ~5 ms on the embedded engine). Name each after a hash of
   * its text: the embedded engine's connections share one session, so another
   * connection (or gateway) may have prepared it already — under that name, the same text.
   */
  readonly prepare?: readonly PreparedStatement[];
}

export interface PreparedStatement {
  /** An SQL identifier. */
  readonly name: string;
  /** A statement without parameters. */
  readonly sql: string;
}

/** A statement runner inside one open transaction. */
export interface HotTransaction {
  /** Runs a query and returns canonical values; fails past `rowLimit` rows. */
  query(sql: string, options: Pick<QueryOptions, "rowLimit" | "params">): Promise<ResultSet>;
  /**
   * Opens a cursor over a query (capped at `rowLimit + 1` rows, so the reader
   * can tell an overflow) and reads its first batch; later batches are FETCHed
   * as the stream is read. The cursor lives until the transaction ends.
   */
  cursor(sql: string, options: Pick<QueryOptions, "rowLimit" | "params"> & { batchRows: number }): Promise<RowStream>;
  /** Runs an internal statement and returns its rows as raw text, by column name. */
  rows(sql: string, params?: readonly unknown[]): Promise<Record<string, string | null>[]>;
}

export type Isolation = "read committed" | "repeatable read";

/** A transaction left open by `begin()`. */
export interface OpenTransaction {
  readonly tx: HotTransaction;
  /** Rows of each of `first`'s statements. */
  readonly firstRows: Record<string, string | null>[][];
  /** The cursor asked for in `begin`, its first batch already read. */
  readonly cursor?: RowStream;
  /** True when `begin` was asked to commit in its first round trip: `tx` refuses statements, `end` does nothing. */
  readonly committed?: true;
  /** COMMIT (no failure) or ROLLBACK, and the connection back to the pool; idempotent. */
  end(failure?: QueryError): Promise<void>;
}

/** A query to open a cursor over in the transaction's first round trip (no parameters: simple protocol). */
export interface CursorRequest {
  readonly sql: string;
  readonly rowLimit: number;
  readonly batchRows: number;
}

/**
 * PREPAREs `p` unless the session has it: on the embedded engine every connection shares one
 * session, so another connection may have prepared it (42P05) — with the same text, since
 * names are derived from it.
 */
async function prepareOnce(client: pg.PoolClient, p: PreparedStatement): Promise<void> {
  try {
    await client.query(`PREPARE ${p.name} AS ${p.sql}`);
  } catch (error) {
    if ((error as { code?: string }).code !== "42P05") throw error;
  }
}

/** Every value comes back as Postgres text; values.ts turns it into the canonical form. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/** The one cursor a streamed hot query opens in its transaction. */
const CURSOR_NAME = "gateway_rows";
const DECLARE_PREFIX = `DECLARE ${CURSOR_NAME} NO SCROLL CURSOR FOR `;

/** Prefix that caps a query's rows; error positions are shifted back by its length. */
const LIMIT_PREFIX = "SELECT * FROM (";

export class TimescaleEngine implements Engine {
  readonly name = "timescale" as const;
  private pool: pg.Pool | undefined;
  /** Connections whose `config.prepare` statements exist. */
  private readonly prepared = new WeakSet<pg.PoolClient>();

  constructor(private readonly config: TimescaleEngineConfig) {}

  async start(): Promise<void> {
    this.pool = new pg.Pool({
      connectionString: this.config.url,
      max: this.config.poolSize,
      query_timeout: this.config.statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
    });
    // A pool emits errors of idle clients (server restarts); they are not query failures.
    this.pool.on("error", () => undefined);
    // Reachability only: `prepare` statements are made on first use, so a gateway started before
    // the schema exists serves once it does.
    try {
      await this.pool.query("SELECT 1");
    } catch (error) {
      throw pgError(error, 0);
    }
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
  async cut<T>(
    options: Pick<QueryOptions, "timeZone" | "timeoutMs">,
    first: string,
    body: (tx: HotTransaction, firstRows: Record<string, string | null>[][]) => Promise<T>,
  ): Promise<T> {
    return this.within(await this.begin("repeatable read", options, first), body);
  }

  /**
   * Opens a transaction and leaves it open: the caller ends it with `end()`,
   * e.g. after streaming a cursor's rows to a client. Until then the
   * connection is out of the pool (and, on the embedded engine, every other
   * client waits), so callers bound that time with the query's deadline.
   */
  async begin(
    isolation: Isolation,
    options: Pick<QueryOptions, "timeZone" | "timeoutMs">,
    first: string,
    /**
     * What follows `first` in the first round trip: a cursor over a query, or COMMIT — a
     * consistent read of `first` alone in one round trip, holding no connection afterwards.
     */
    then?: CursorRequest | "commit",
  ): Promise<OpenTransaction> {
    const cursor = then === "commit" ? undefined : then;
    if (this.pool === undefined) throw new Error("timescale engine is not started");
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw pgError(error, 0);
    }
    // The pool listens for errors of idle connections only. A connection that dies while checked
    // out between two statements (the server killed) emits 'error' with no query to fail: without
    // a listener that kills the gateway. Its next statement fails instead, and it is dropped.
    const lost = (): void => undefined;
    client.on("error", lost);
    const release = (broken = false): void => {
      client.off("error", lost);
      client.release(broken);
    };
    const prepare = this.config.prepare ?? [];
    if (prepare.length > 0 && !this.prepared.has(client)) {
      try {
        for (const p of prepare) await prepareOnce(client, p);
      } catch (error) {
        release(true);
        throw pgError(error, 0);
      }
      this.prepared.add(client);
    }
    let ended = false;
    const end = async (failure?: QueryError): Promise<void> => {
      if (ended) return;
      ended = true;
      if (failure === undefined) {
        // A READ ONLY transaction has nothing to make durable: the caller need not wait for
        // COMMIT's round trip, and the connection goes back to the pool at once, COMMIT queued
        // on it (a pg client runs its queries in order), so the next query reuses it rather
        // than another connection — on the embedded engine a change of connection costs a
        // session switch (~2.5 ms measured on a point query). Should COMMIT fail, the connection
        // is gone: the pool drops it, or its next user's statement fails as unavailable.
        client.query("COMMIT").catch(() => undefined);
        release();
        return;
      }
      let broken = false;
      try {
        if (failure.kind === "timeout" || failure.kind === "unavailable") {
          // The connection may still be running the statement: drop it rather than queue a ROLLBACK behind it.
          broken = true;
        } else {
          await client.query("ROLLBACK");
        }
      } catch {
        broken = true;
      } finally {
        release(broken);
      }
    };
    try {
      // One simple-protocol round trip: BEGIN, the LOCAL settings, the caller's first statements
      // and, when asked, a cursor over the query with its first batch.
      const setup = [
        `BEGIN ISOLATION LEVEL ${isolation.toUpperCase()} READ ONLY`,
        `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(options.timeoutMs))}`,
        `SET LOCAL TimeZone = ${literal(options.timeZone)}`,
        "SET LOCAL DateStyle = 'ISO, MDY'",
        "SET LOCAL IntervalStyle = 'postgres'",
      ].join("; ");
      const head = first === "" ? `${setup}; ` : `${setup}; ${first}; `;
      const declared = cursor === undefined ? null : cursorStatements(cursor);
      const tail = then === "commit" ? "COMMIT" : declared === null ? "" : `${declared.declare}; ${declared.fetch}`;
      let results: pg.QueryArrayResult<string[]>[];
      try {
        results = asResults(await client.query({ text: `${head}${tail}`, rowMode: "array", types: RAW_TEXT }));
      } catch (error) {
        // Positions count from the start of the whole text; the client's SQL starts after the head.
        throw pgError(error, declared === null ? 0 : head.length + declared.shift);
      }
      const statements = results.length - (then === "commit" ? 1 : declared === null ? 0 : 2);
      const firstRows = results.slice(5, statements).map(asRecords);
      if (then === "commit") {
        ended = true;
        release();
        return { tx: COMMITTED, firstRows, end: async () => undefined, committed: true };
      }
      const tx = transactionOf(client);
      const last = results[results.length - 1];
      const opened =
        declared === null || cursor === undefined || last === undefined
          ? undefined
          : openCursor(client, last, declared.fetch, cursor.batchRows);
      return { tx, firstRows, end, ...(opened === undefined ? {} : { cursor: opened }) };
    } catch (error) {
      const failure = pgError(error, 0);
      await end(failure).catch(() => undefined);
      throw failure;
    }
  }

  private async transaction<T>(
    isolation: Isolation,
    options: Pick<QueryOptions, "timeZone" | "timeoutMs">,
    first: string,
    body: (tx: HotTransaction, firstRows: Record<string, string | null>[][]) => Promise<T>,
  ): Promise<T> {
    return this.within(await this.begin(isolation, options, first), body);
  }

  private async within<T>(
    open: OpenTransaction,
    body: (tx: HotTransaction, firstRows: Record<string, string | null>[][]) => Promise<T>,
  ): Promise<T> {
    let result: T;
    try {
      result = await body(open.tx, open.firstRows);
    } catch (error) {
      const failure = error instanceof QueryError ? error : pgError(error, 0);
      await open.end(failure).catch(() => undefined);
      throw failure;
    }
    await open.end();
    return result;
  }
}

/**
 * statement_timeout is the real limit; the client-side timeout is the backstop
 * for servers where it does not fire (the embedded WASM engine has no timer
 * signals, measured: a 200M-row generate_series ran past a 700 ms limit).
 */
const CLIENT_TIMEOUT_GRACE_MS = 2_000;

/** The `tx` of a transaction committed in its first round trip. */
const COMMITTED: HotTransaction = {
  query: committed,
  cursor: committed,
  rows: committed,
};

async function committed(): Promise<never> {
  throw new Error("the transaction was committed in its first round trip");
}

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
    async cursor(sql, options) {
      const { declare, fetch, shift } = cursorStatements({ sql, ...options });
      let first: pg.QueryArrayResult<string[]>;
      try {
        if (options.params === undefined || options.params.length === 0) {
          // Without parameters DECLARE and the first FETCH share one round trip (simple protocol).
          const results = asResults(
            await client.query({ text: `${declare}; ${fetch}`, rowMode: "array", types: RAW_TEXT }),
          );
          first = results[results.length - 1] as pg.QueryArrayResult<string[]>;
        } else {
          await client.query({ text: declare, values: [...options.params], types: RAW_TEXT });
          first = await client.query({ text: fetch, rowMode: "array", types: RAW_TEXT });
        }
      } catch (error) {
        throw pgError(error, shift);
      }
      return openCursor(client, first, fetch, options.batchRows);
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

/** The DECLARE (capped at rowLimit + 1 rows) and FETCH statements of a streamed query. */
function cursorStatements(request: Pick<CursorRequest, "sql" | "rowLimit" | "batchRows">): {
  declare: string;
  fetch: string;
  /** Characters before the client's SQL in `declare`. */
  shift: number;
} {
  return {
    declare: `${DECLARE_PREFIX}${LIMIT_PREFIX}${request.sql}\n) AS q LIMIT ${request.rowLimit + 1}`,
    fetch: `FETCH ${request.batchRows} FROM ${CURSOR_NAME}`,
    shift: DECLARE_PREFIX.length + LIMIT_PREFIX.length,
  };
}

/** A row stream over an open cursor whose first FETCH returned `first`. */
function openCursor(
  client: pg.PoolClient,
  first: pg.QueryArrayResult<string[]>,
  fetch: string,
  batchRows: number,
): RowStream {
  const columns: ResultColumn[] = first.fields.map((f) => ({ name: f.name, type: pgValueType(f.dataTypeID) }));
  const convert = (rows: string[][]): RowBatch =>
    rows.map((row) => columns.map((c, i): Value => fromPgText(c.type, (row[i] as string | null | undefined) ?? null)));
  let pending: RowBatch | null = first.rows.length > 0 ? convert(first.rows) : null;
  let done = first.rows.length < batchRows;
  let closed = false;
  return {
    columns,
    async next() {
      if (closed) return null;
      if (pending !== null) {
        const batch = pending;
        pending = null;
        return batch;
      }
      if (done) return null;
      let result: pg.QueryArrayResult<string[]>;
      try {
        result = await client.query({ text: fetch, rowMode: "array", types: RAW_TEXT });
      } catch (error) {
        throw pgError(error, 0);
      }
      done = result.rows.length < batchRows;
      return result.rows.length > 0 ? convert(result.rows) : null;
    },
    async close() {
      // The transaction's end closes the cursor; no round trip of its own.
      closed = true;
      pending = null;
    },
  };
}

function asResults(result: unknown): pg.QueryArrayResult<string[]>[] {
  return (Array.isArray(result) ? result : [result]) as pg.QueryArrayResult<string[]>[];
}

function asRecords(result: pg.QueryArrayResult<string[]>): Record<string, string | null>[] {
  return result.rows.map((row) => Object.fromEntries(result.fields.map((f, i) => [f.name, row[i] ?? null])));
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

/**
 * The cold-tier engine: in-process DuckDB, locked down at start (external
 * access off except the warehouse/cache directories, locked configuration,
 * memory and thread limits). Each query gets its own connection (a session),
 * where `flows` is a TEMP view over the snapshot's pruned Parquet files —
 * built here from file lists, so users never name a file — optionally joined
 * by hot rows or partial aggregates appended into temp tables. The session
 * TimeZone is the one setting left changeable (allowed_configs), per session.
 */

import { readFileSync } from "node:fs";
import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  DuckDBInstance,
  DuckDBMaterializedResult,
  type DuckDBResult,
  type DuckDBResultReader,
} from "@duckdb/node-api";
import { FLOW_COLUMNS } from "@netflow/schema";
import { appendTyped, DUCK_TYPE_OF, toValue, typeName, valueType } from "./duckdb-values.ts";
import type { Engine, QueryOptions, ResultColumn, ResultSet, RowStream, Value } from "./engine.ts";
import { QueryError } from "./errors.ts";

export interface DuckDbEngineConfig {
  readonly memoryLimit: string;
  readonly threads: number;
  /** Directories DuckDB may read (the file:// warehouse, the file cache); everything else is refused. */
  readonly allowedDirectories: readonly string[];
  /** Spill directory (inside an allowed directory). */
  readonly tempDirectory: string;
}

/** Postgres's inet text forms as DuckDB macros over the 16-byte addresses (see the file). */
const INET_MACROS = readFileSync(new URL("./inet-macros.sql", import.meta.url), "utf8")
  .replace(/--[^\n]*\n/g, "")
  .split(";")
  .map((s) => s.trim())
  .filter((s) => s !== "");

/** DuckDB type of each flow column as the view exposes it; addresses stay 16-byte BLOBs. */
const DUCK_TYPES: Readonly<Record<string, string>> = {
  timestamptz: "TIMESTAMPTZ",
  inet: "BLOB",
  bigint: "BIGINT",
  integer: "INTEGER",
  smallint: "INTEGER",
  boolean: "BOOLEAN",
};

export const FLOWS_VIEW_COLUMNS = FLOW_COLUMNS.map((c) => ({
  name: c.name,
  duckType: DUCK_TYPES[c.pgType] ?? "VARCHAR",
}));

export interface ColdSession {
  /**
   * Defines `flows` over local Parquet files, plus the rows of temp table `hot_flows` when
   * `withHot`. The definition goes with the session's next statement, in the same DuckDB call:
   * a call of its own costs a thread hop and binds the view an extra time (~1–2 ms a query).
   */
  defineFlows(files: readonly string[], withHot: boolean): void;
  /** Creates temp table `hot_flows` (every flow column) and appends rows given as column → value. */
  loadHotRows(columns: readonly string[], rows: readonly (readonly Value[])[]): Promise<void>;
  /** `CREATE TEMP TABLE name AS <sql>`, then appends `extra` rows converted to that table's column types. */
  createTable(name: string, sql: string, extra: ResultSet): Promise<void>;
  /** Creates temp table `name` typed from the result's value types and appends its rows. */
  loadTable(name: string, result: ResultSet): Promise<void>;
  query(sql: string, options: Pick<QueryOptions, "rowLimit" | "timeoutMs" | "signal">): Promise<ResultSet>;
  /**
   * Runs a query and returns its result a DuckDB chunk at a time. The time
   * limit covers the whole read (an interrupt at the deadline); the row limit
   * is the reader's business. A `capped` query (its LIMIT bounds its rows, see
   * row-cap.ts) runs in one call and is read from DuckDB's materialized
   * result; any other streams through a prepared statement.
   */
  stream(
    sql: string,
    options: Pick<QueryOptions, "timeoutMs" | "signal"> & { readonly capped?: boolean },
  ): Promise<RowStream>;
}

export class DuckDbEngine implements Engine {
  readonly name = "duckdb" as const;
  private instance: DuckDBInstance | undefined;
  /**
   * A connection opened ahead for the next query, and the one being opened: opening one
   * costs ~1–2 ms, paid between queries instead of in one. The next spare is opened when a
   * session closes, not when one starts: its calls would compete with that session's query.
   */
  private spare: DuckDBConnection | null = null;
  /** The spare's TimeZone, set ahead too: most queries use the default one. */
  private static readonly SPARE_ZONE = "UTC";
  private opening: Promise<void> | null = null;
  /** Connections whose close is deferred past the query's end (closing is synchronous, ~1 ms). */
  private readonly closing = new Set<DuckDBConnection>();

  constructor(private readonly config: DuckDbEngineConfig) {}

  async start(): Promise<void> {
    const instance = await DuckDBInstance.create(":memory:", {
      memory_limit: this.config.memoryLimit,
      threads: String(this.config.threads),
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    const setup = await instance.connect();
    try {
      const list = (xs: readonly string[]) => `[${xs.map(quote).join(", ")}]`;
      // Order matters: the allow-lists and temp directory before external access goes off, the lock last.
      await setup.run(`SET temp_directory = ${quote(this.config.tempDirectory)}`);
      await setup.run(`SET allowed_directories = ${list(this.config.allowedDirectories.map(withSlash))}`);
      await setup.run(`SET allowed_configs = ['TimeZone']`);
      // Macros live in the shared in-memory catalog: every session sees them.
      for (const statement of INET_MACROS) await setup.run(statement);
      await setup.run("SET enable_external_access = false");
      await setup.run("SET lock_configuration = true");
    } finally {
      setup.closeSync();
    }
    this.instance = instance;
    this.openSpare();
  }

  async stop(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    await this.opening;
    this.spare?.closeSync();
    this.spare = null;
    for (const connection of this.closing) connection.closeSync();
    this.closing.clear();
    instance?.closeSync();
  }

  private openSpare(): void {
    const instance = this.instance;
    if (instance === undefined || this.spare !== null || this.opening !== null) return;
    const ready = async () => {
      const connection = await instance.connect();
      try {
        await connection.run(`SET SESSION TimeZone = ${quote(DuckDbEngine.SPARE_ZONE)}`);
      } catch (error) {
        connection.closeSync();
        throw error;
      }
      return connection;
    };
    this.opening = ready().then(
      (connection) => {
        this.opening = null;
        if (this.instance === instance && this.spare === null) this.spare = connection;
        else connection.closeSync();
      },
      () => {
        // The next query opens its own connection and reports what is wrong.
        this.opening = null;
      },
    );
  }

  /** A connection in `timeZone`. */
  private async connect(timeZone: string): Promise<DuckDBConnection> {
    if (this.instance === undefined) throw new Error("duckdb engine is not started");
    const spare = this.spare;
    this.spare = null;
    const connection = spare ?? (await this.instance.connect());
    if (spare === null || timeZone !== DuckDbEngine.SPARE_ZONE) {
      try {
        await connection.run(`SET SESSION TimeZone = ${quote(timeZone)}`);
      } catch (error) {
        this.closeLater(connection);
        throw duckError(error);
      }
    }
    return connection;
  }

  private closeLater(connection: DuckDBConnection): void {
    this.closing.add(connection);
    setImmediate(() => {
      if (this.closing.delete(connection)) connection.closeSync();
    });
  }

  async query(sql: string, options: QueryOptions): Promise<ResultSet> {
    return this.session(options.timeZone, (s) => s.query(sql, options));
  }

  /**
   * A fresh connection with its own temp objects and TimeZone, closed after `body`. Aborting
   * `signal` interrupts whatever statement of the session runs (CREATE TABLE AS included).
   */
  async session<T>(timeZone: string, body: (session: ColdSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const open = await this.open(timeZone, signal);
    try {
      return await body(open);
    } catch (error) {
      throw duckError(error);
    } finally {
      open.close();
    }
  }

  /** Like `session`, but the caller closes it (after streaming a result out of it). */
  async open(timeZone: string, signal?: AbortSignal): Promise<OpenColdSession> {
    const connection = await this.connect(timeZone);
    const interrupt = () => connection.interrupt();
    signal?.addEventListener("abort", interrupt);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      signal?.removeEventListener("abort", interrupt);
      // A statement still running is stopped now; the connection (its temp objects) goes right after.
      connection.interrupt();
      this.closeLater(connection);
      this.openSpare();
    };
    return { ...sessionOf(connection), close };
  }
}

/** A cold session left open by `DuckDbEngine.open`. */
export interface OpenColdSession extends ColdSession {
  /** Closes the connection (and with it any open result); idempotent. */
  close(): void;
}

function sessionOf(connection: DuckDBConnection): ColdSession {
  /** Statements sent ahead of the next one, in its call (see defineFlows). */
  const setup: string[] = [];
  const withSetup = (sql: string) => [...setup.splice(0), sql].join(";\n");
  return {
    defineFlows(files, withHot) {
      const columns = FLOWS_VIEW_COLUMNS.map((c) => `CAST(${ident(c.name)} AS ${c.duckType}) AS ${ident(c.name)}`);
      const cold =
        files.length === 0
          ? `SELECT ${FLOWS_VIEW_COLUMNS.map((c) => `CAST(NULL AS ${c.duckType}) AS ${ident(c.name)}`).join(", ")} WHERE false`
          : `SELECT ${columns.join(", ")} FROM read_parquet([${files.map(quote).join(", ")}], union_by_name = true)`;
      const names = FLOWS_VIEW_COLUMNS.map((c) => ident(c.name)).join(", ");
      const body = withHot ? `${cold} UNION ALL SELECT ${names} FROM hot_flows` : cold;
      setup.push(`CREATE TEMP VIEW flows AS ${body}`);
    },
    async loadHotRows(columns, rows) {
      const defs = FLOWS_VIEW_COLUMNS.map((c) => `${ident(c.name)} ${c.duckType}`).join(", ");
      await connection.run(withSetup(`CREATE TEMP TABLE hot_flows (${defs})`));
      const appender = await connection.createAppender("hot_flows");
      const types = FLOWS_VIEW_COLUMNS.map((c) => c.duckType);
      const index = FLOWS_VIEW_COLUMNS.map((c) => columns.indexOf(c.name));
      try {
        for (const row of rows) {
          for (let i = 0; i < index.length; i++) {
            const at = index[i] ?? -1;
            appendTyped(appender, types[i] ?? "VARCHAR", at < 0 ? null : (row[at] ?? null));
          }
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    async createTable(name, sql, extra) {
      await connection.run(withSetup(`CREATE TEMP TABLE ${ident(name)} AS ${sql}`));
      if (extra.rows.length === 0) return;
      const appender = await connection.createAppender(name);
      try {
        const types = Array.from({ length: appender.columnCount }, (_, i) => typeName(appender.columnType(i)));
        for (const row of extra.rows) {
          types.forEach((type, i) => {
            appendTyped(appender, type, row[i] ?? null);
          });
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    async loadTable(name, result) {
      const types = result.columns.map((c) => DUCK_TYPE_OF[c.type]);
      const defs = result.columns.map((c, i) => `${ident(c.name)} ${types[i] ?? "VARCHAR"}`).join(", ");
      await connection.run(withSetup(`CREATE TEMP TABLE ${ident(name)} (${defs})`));
      const appender = await connection.createAppender(name);
      try {
        for (const row of result.rows) {
          types.forEach((type, i) => {
            appendTyped(appender, type ?? "VARCHAR", row[i] ?? null);
          });
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
    },
    async query(sql, options) {
      const interrupt = () => connection.interrupt();
      const timer = setTimeout(interrupt, options.timeoutMs);
      options.signal?.addEventListener("abort", interrupt);
      let reader: DuckDBResultReader;
      try {
        if (options.signal?.aborted) throw new Error("INTERRUPT Error: canceled before it started");
        reader = await connection.streamAndReadUntil(withSetup(sql), options.rowLimit + 1);
      } catch (error) {
        throw duckError(error, true);
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", interrupt);
      }
      if (reader.currentRowCount > options.rowLimit) {
        throw new QueryError("limit", `the result has more than ${options.rowLimit} rows`, {
          detail: "add a LIMIT or aggregate further; the gateway's row limit is GATEWAY_ROW_LIMIT",
        });
      }
      const types = reader.columnTypes();
      const columns: ResultColumn[] = reader.columnNames().map((name, i) => ({ name, type: valueType(types[i]) }));
      const rows = reader.getRows().map((row) => row.map((v, i) => toValue(types[i], v)));
      return { columns, rows };
    },
    async stream(sql, options) {
      const interrupt = () => connection.interrupt();
      const timer = setTimeout(interrupt, options.timeoutMs);
      options.signal?.addEventListener("abort", interrupt);
      let closed = false;
      const stop = () => {
        closed = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", interrupt);
      };
      let result: DuckDBResult;
      try {
        if (options.signal?.aborted) throw new Error("INTERRUPT Error: canceled before it started");
        result =
          options.capped === true ? await connection.run(withSetup(sql)) : await connection.stream(withSetup(sql));
      } catch (error) {
        stop();
        throw duckError(error, true);
      }
      const types = result.columnTypes();
      const columns: ResultColumn[] = result.columnNames().map((name, i) => ({ name, type: valueType(types[i]) }));
      const rowsOf = (chunk: DuckDBDataChunk) => chunk.getRows().map((row) => row.map((v, i) => toValue(types[i], v)));
      if (result instanceof DuckDBMaterializedResult) {
        // The work is done: the chunks are read without further calls into DuckDB's threads.
        stop();
        const chunks = result.chunkCount;
        let at = 0;
        return {
          columns,
          next: async () => (at < chunks ? rowsOf(result.getChunk(at++)) : null),
          close: async () => undefined,
        };
      }
      return {
        columns,
        async next() {
          if (closed) return null;
          try {
            // An empty chunk marks the end of a streamed result.
            const chunk = await result.fetchChunk();
            if (chunk === null || chunk.rowCount === 0) {
              stop();
              return null;
            }
            return rowsOf(chunk);
          } catch (error) {
            stop();
            throw duckError(error, true);
          }
        },
        async close() {
          stop();
        },
      };
    },
  };
}

function duckError(error: unknown, fromClientSql = false): QueryError {
  if (error instanceof QueryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/interrupt/i.test(message)) {
    return new QueryError("timeout", "the query ran longer than its time limit on the cold tier", { cause: error });
  }
  if (/out of memory/i.test(message)) {
    return new QueryError("limit", "the query needs more memory than the cold engine may use", {
      cause: error,
      detail: "narrow the time range or aggregate further",
    });
  }
  if (
    fromClientSql &&
    /^(Binder|Parser|Conversion|Invalid Input|Catalog|Not implemented|Out of Range) Error/.test(message)
  ) {
    // DuckDB's own words about the query, minus the echoed SQL and any file path.
    const first = message.split("\n")[0] ?? message;
    return new QueryError("query", first.replace(/(\/[^\s"']+)+/g, "<path>"), { cause: error });
  }
  return new QueryError("internal", "the cold tier failed to run the query", { cause: error });
}

function withSlash(dir: string): string {
  return dir.endsWith("/") ? dir : `${dir}/`;
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

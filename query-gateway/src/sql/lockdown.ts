/**
 * The lockdown (architecture invariant 6): decides, before anything executes,
 * whether one request's SQL may run. Exactly one statement; SELECT-like
 * queries, EXPLAIN of them, read-only transaction control, SHOW and SET of an
 * allow-list. The whole parse tree is walked, so a forbidden function or
 * data-modifying statement is found wherever it hides (CTEs, subqueries,
 * LATERAL, function arguments).
 */
import type { Node } from "libpg-query";
import { GatewayError, SQLSTATE, type SqlState } from "../errors.ts";
import { DEFAULT_LOCKDOWN_CONFIG, type LockdownConfig } from "./config.ts";
import {
  DENIED_FUNCTION_PREFIXES,
  DENIED_FUNCTION_SUFFIXES,
  DENIED_FUNCTIONS,
  DENIED_RELATIONS,
  READABLE_SETTINGS,
  SETTABLE_SETTINGS,
} from "./deny-lists.ts";
import { parseSql, positionOf, unwrap } from "./parser.ts";
import { describeStatement } from "./statement-kinds.ts";
import { isKnownZone } from "./timezone.ts";
import { isRecord, nameList, walk } from "./walk.ts";

const FILE_EXTENSIONS: ReadonlySet<string> = new Set([
  "parquet",
  "csv",
  "tsv",
  "json",
  "jsonl",
  "ndjson",
  "arrow",
  "avro",
  "xlsx",
  "txt",
  "gz",
  "zst",
  "db",
  "duckdb",
  "sqlite",
]);

export type TransactionAction = "begin" | "commit" | "rollback" | "savepoint" | "release" | "rollback_to";

export type CheckedStatement =
  /** SELECT, WITH … SELECT, VALUES, TABLE; `node` is the statement's parse tree. */
  | { readonly kind: "select"; readonly node: Node }
  /** EXPLAIN [ANALYZE] of a SELECT-like query; `query` is the explained query. */
  | { readonly kind: "explain"; readonly analyze: boolean; readonly query: Node }
  | {
      readonly kind: "transaction";
      readonly action: TransactionAction;
      /** The isolation level asked for by BEGIN / START TRANSACTION, lowercased. */
      readonly isolation?: string;
    }
  | { readonly kind: "show"; readonly name: string }
  | {
      readonly kind: "set";
      /** Lowercased setting name; null for RESET ALL. */
      readonly name: string | null;
      /** The value as Postgres would print it; null for RESET / SET … TO DEFAULT. */
      readonly value: string | null;
      readonly local: boolean;
    };

/** Parses and checks one request's SQL; throws GatewayError when it must not run. */
export function checkStatement(sql: string, config: LockdownConfig = DEFAULT_LOCKDOWN_CONFIG): CheckedStatement {
  const parsed = parseSql(sql);
  const stmts = parsed.stmts ?? [];
  if (stmts.length === 0) {
    throw refuse(SQLSTATE.syntaxError, "empty query: send exactly one statement");
  }
  if (stmts.length > 1) {
    const second = stmts[1];
    throw refuse(
      SQLSTATE.featureNotSupported,
      `exactly one statement per request is allowed, got ${stmts.length}`,
      positionOf(sql, second?.stmt_location ?? undefined),
    );
  }
  const stmt = stmts[0]?.stmt;
  if (stmt === undefined) throw refuse(SQLSTATE.syntaxError, "empty query: send exactly one statement");
  return checkNode(sql, stmt, config);
}

function checkNode(sql: string, stmt: Node, config: LockdownConfig): CheckedStatement {
  if ("SelectStmt" in stmt) {
    checkQueryTree(sql, stmt);
    return { kind: "select", node: stmt };
  }
  if ("ExplainStmt" in stmt) {
    const explain = stmt.ExplainStmt;
    const query = explain.query;
    if (query === undefined || !("SelectStmt" in query)) {
      const [type] = query === undefined ? ["nothing"] : unwrap(query);
      const { label, code } = describeStatement(type);
      throw refuse(code, `EXPLAIN is allowed only for SELECT queries, not ${label}`);
    }
    checkQueryTree(sql, query);
    const analyze = (explain.options ?? []).some((option) => {
      if (!("DefElem" in option) || option.DefElem.defname !== "analyze") return false;
      return defElemBoolean(option.DefElem.arg) !== false;
    });
    return { kind: "explain", analyze, query };
  }
  if ("TransactionStmt" in stmt) return checkTransaction(stmt.TransactionStmt.kind, stmt.TransactionStmt.options);
  if ("VariableShowStmt" in stmt) {
    const name = (stmt.VariableShowStmt.name ?? "").toLowerCase();
    if (!READABLE_SETTINGS.has(name)) {
      throw refuse(SQLSTATE.insufficientPrivilege, `SHOW ${name} is not allowed through the query gateway`);
    }
    return { kind: "show", name };
  }
  if ("VariableSetStmt" in stmt) return checkSet(sql, stmt.VariableSetStmt, config);
  const [type] = unwrap(stmt);
  const { label, code } = describeStatement(type);
  throw refuse(code, `${label} is not allowed: the query gateway runs read-only queries only`);
}

/** Walks a SELECT-like tree and refuses anything that writes, locks or reaches outside the database. */
function checkQueryTree(sql: string, root: Node): void {
  walk(root, (key, payload) => {
    if (key === "InsertStmt" || key === "UpdateStmt" || key === "DeleteStmt" || key === "MergeStmt") {
      const { label } = describeStatement(key);
      throw refuse(
        SQLSTATE.readOnlySqlTransaction,
        `cannot execute ${label} in a read-only query (data-modifying statement inside the query)`,
      );
    }
    if (isRecord(payload.intoClause)) {
      throw refuse(
        SQLSTATE.readOnlySqlTransaction,
        "SELECT INTO creates a table and is not allowed: read-only queries only",
      );
    }
    if (Array.isArray(payload.lockingClause) && payload.lockingClause.length > 0) {
      throw refuse(
        SQLSTATE.readOnlySqlTransaction,
        "SELECT FOR UPDATE/SHARE locks rows and is not allowed: read-only queries only",
      );
    }
    if (key === "FuncCall") checkFunction(sql, payload);
    if (key === "RangeVar") checkRelation(sql, payload);
  });
}

function checkFunction(sql: string, call: Record<string, unknown>): void {
  const names = nameList(call.funcname).map((n) => n.toLowerCase());
  const name = names[names.length - 1] ?? "";
  const position = positionOf(sql, typeof call.location === "number" ? call.location : undefined);
  const denied =
    DENIED_FUNCTIONS.has(name) ||
    DENIED_FUNCTION_PREFIXES.some((prefix) => name.startsWith(prefix)) ||
    DENIED_FUNCTION_SUFFIXES.some((suffix) => name.endsWith(suffix));
  if (denied) {
    throw refuse(
      SQLSTATE.insufficientPrivilege,
      `function ${name}() is not allowed through the query gateway`,
      position,
    );
  }
  if (name === "current_setting") {
    // Allowed for the settings SHOW may read: BI tools ask for server_version_num this way.
    const args = Array.isArray(call.args) ? call.args : [];
    const setting = stringConstant(args[0]);
    if (setting === undefined || !READABLE_SETTINGS.has(setting.toLowerCase())) {
      throw refuse(
        SQLSTATE.insufficientPrivilege,
        `current_setting(${setting === undefined ? "…" : `'${setting}'`}) is not allowed through the query gateway`,
        position,
      );
    }
  }
}

function checkRelation(sql: string, relation: Record<string, unknown>): void {
  const name = typeof relation.relname === "string" ? relation.relname : "";
  const position = positionOf(sql, typeof relation.location === "number" ? relation.location : undefined);
  if (DENIED_RELATIONS.has(name.toLowerCase())) {
    throw refuse(SQLSTATE.insufficientPrivilege, `reading ${name} is not allowed through the query gateway`, position);
  }
  // DuckDB resolves an unknown table name that looks like a path ("x.parquet",
  // "s3://b/k") by reading that file: no real relation here has such a name,
  // nor a data-file extension as its name (an unquoted data.parquet parses as
  // schema "data", table "parquet").
  const qualified = typeof relation.schemaname === "string";
  if (/[./\\:]/.test(name) || (qualified && FILE_EXTENSIONS.has(name.toLowerCase()))) {
    throw refuse(
      SQLSTATE.insufficientPrivilege,
      `relation "${name}" looks like a file path; reading files is not allowed through the query gateway`,
      position,
    );
  }
}

function checkTransaction(kind: string | undefined, options: Node[] | undefined): CheckedStatement {
  let action: TransactionAction;
  switch (kind) {
    case "TRANS_STMT_BEGIN":
    case "TRANS_STMT_START":
      action = "begin";
      break;
    case "TRANS_STMT_COMMIT":
      action = "commit";
      break;
    case "TRANS_STMT_ROLLBACK":
      action = "rollback";
      break;
    case "TRANS_STMT_SAVEPOINT":
      action = "savepoint";
      break;
    case "TRANS_STMT_RELEASE":
      action = "release";
      break;
    case "TRANS_STMT_ROLLBACK_TO":
      action = "rollback_to";
      break;
    default:
      throw refuse(SQLSTATE.featureNotSupported, "two-phase commit is not allowed through the query gateway");
  }
  const isolation = checkTransactionOptions(options);
  return isolation === undefined ? { kind: "transaction", action } : { kind: "transaction", action, isolation };
}

/** Refuses READ WRITE; returns the isolation level asked for, if any. */
function checkTransactionOptions(options: Node[] | undefined): string | undefined {
  let isolation: string | undefined;
  for (const option of options ?? []) {
    if (!("DefElem" in option)) continue;
    const { defname, arg } = option.DefElem;
    if (defname === "transaction_read_only" && integerConstant(arg) === 0) {
      throw refuse(
        SQLSTATE.readOnlySqlTransaction,
        "READ WRITE transactions are not allowed: the query gateway is read-only",
      );
    }
    if (defname === "transaction_isolation") isolation = stringConstant(arg)?.toLowerCase();
  }
  return isolation;
}

interface VariableSet {
  kind?: string;
  name?: string;
  args?: Node[];
  is_local?: boolean;
}

function checkSet(sql: string, set: VariableSet, config: LockdownConfig): CheckedStatement {
  const local = set.is_local === true;
  const position = positionOf(sql, set.args?.[0] === undefined ? undefined : nodeLocation(set.args[0]));
  if (set.kind === "VAR_RESET_ALL") return { kind: "set", name: null, value: null, local };
  if (set.kind === "VAR_SET_MULTI") {
    // SET TRANSACTION … / SET SESSION CHARACTERISTICS AS TRANSACTION …
    checkTransactionOptions(set.args);
    return { kind: "set", name: (set.name ?? "").toLowerCase(), value: null, local };
  }
  const name = (set.name ?? "").toLowerCase();
  if (!SETTABLE_SETTINGS.has(name)) {
    throw refuse(SQLSTATE.insufficientPrivilege, `SET ${name} is not allowed through the query gateway`, position);
  }
  if (set.kind === "VAR_RESET" || set.kind === "VAR_SET_DEFAULT") return { kind: "set", name, value: null, local };
  if (set.kind !== "VAR_SET_VALUE") {
    throw refuse(SQLSTATE.featureNotSupported, `SET ${name} FROM CURRENT is not supported`, position);
  }
  const values = (set.args ?? []).map(constantText);
  if (values.some((v) => v === undefined)) {
    throw refuse(
      SQLSTATE.featureNotSupported,
      `SET ${name} accepts only literal values through the query gateway`,
      position,
    );
  }
  const value = values.join(", ");
  if (name === "statement_timeout") checkStatementTimeout(value, config, position);
  if (name === "timezone" && !isKnownZone(value)) {
    // Both engines must honour the zone, and the cold one only knows IANA names.
    throw refuse(
      SQLSTATE.invalidParameterValue,
      `time zone "${value}" is not supported: use an IANA name such as Europe/Paris or Etc/GMT+7`,
      position,
    );
  }
  if (name === "client_encoding" && !["utf8", "utf-8", "unicode"].includes(value.toLowerCase())) {
    throw refuse(
      SQLSTATE.featureNotSupported,
      `client_encoding ${value} is not supported: the gateway speaks UTF8`,
      position,
    );
  }
  return { kind: "set", name, value, local };
}

const TIMEOUT_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** statement_timeout takes milliseconds or a number with a unit ('5s', '1min'); 0 disables it. */
function checkStatementTimeout(value: string, config: LockdownConfig, position: number | undefined): void {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match?.[2]?.toLowerCase() || "ms";
  const factor = TIMEOUT_UNITS_MS[unit];
  if (match === null || factor === undefined) {
    throw refuse(SQLSTATE.invalidParameterValue, `invalid value for statement_timeout: "${value}"`, position);
  }
  const ms = Number(match[1]) * factor;
  if (ms <= 0 || ms > config.maxStatementTimeoutMs) {
    throw refuse(
      SQLSTATE.insufficientPrivilege,
      `statement_timeout must be between 1 ms and the gateway limit of ${config.maxStatementTimeoutMs} ms, got ${value}`,
      position,
    );
  }
}

function refuse(code: SqlState, message: string, position?: number): GatewayError {
  return new GatewayError(code === SQLSTATE.syntaxError ? "syntax" : "refused", code, message, {
    ...(position === undefined ? {} : { position }),
  });
}

function nodeLocation(node: Node): number | undefined {
  const [, payload] = unwrap(node);
  return isRecord(payload) && typeof payload.location === "number" ? payload.location : undefined;
}

/** The text of a constant (string, integer, float, boolean), or undefined for anything else. */
function constantText(node: Node | undefined): string | undefined {
  if (node === undefined || !("A_Const" in node)) return undefined;
  const c = node.A_Const;
  if (c.sval !== undefined) return c.sval.sval ?? "";
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c.fval !== undefined) return c.fval.fval ?? "0";
  if (c.boolval !== undefined) return c.boolval.boolval === true ? "on" : "off";
  return undefined;
}

function stringConstant(node: Node | undefined): string | undefined {
  if (node === undefined || !("A_Const" in node)) return undefined;
  return node.A_Const.sval?.sval ?? undefined;
}

function integerConstant(node: Node | undefined): number | undefined {
  if (node === undefined || !("A_Const" in node) || node.A_Const.ival === undefined) return undefined;
  return node.A_Const.ival.ival ?? 0;
}

/** EXPLAIN option values: `analyze`, `analyze true`, `analyze false`, `analyze off`, `analyze 0`. */
function defElemBoolean(arg: Node | undefined): boolean | undefined {
  if (arg === undefined) return true;
  const text =
    "String" in arg
      ? arg.String.sval
      : "A_Const" in arg
        ? constantText(arg)
        : "Boolean" in arg
          ? String(arg.Boolean.boolval === true)
          : undefined;
  if (text === undefined) return undefined;
  return !["false", "off", "0", "no"].includes(text.toLowerCase());
}

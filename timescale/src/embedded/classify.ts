// Decides, with the real Postgres parser, what the layer must do with a client statement
// before the engine sees it: pass it through, refuse it, or take over a COPY FROM STDIN.
// Parsing is skipped for statements that cannot match (a cheap keyword pre-filter), so a
// multi-megabyte INSERT is not parsed twice.

import { parse, scan } from "libpg-query";
import { quoteIdent } from "./protocol.ts";

export type Classified = { kind: "pass" } | { kind: "refuse"; code: string; message: string; hint?: string } | CopyIn;

export interface CopyIn {
  kind: "copy-in";
  /** The same statement reading from the engine's blob device instead of STDIN. */
  engineSql: string;
  /** Qualified, quoted target relation, for privilege checks. */
  target: string;
  /** Number of listed columns (0 when the statement names none). */
  columns: number;
  binary: boolean;
}

const MAY_NEED_PARSE = /copy|role|authorization|discard|deallocate|set_config|\bdo\b|advisory|listen/i;

/**
 * Session-level advisory locks belong to the one shared engine session, so they would not
 * exclude other connections; the transaction-level ones (pg_advisory_xact_lock) do work.
 */
const SESSION_ADVISORY = /^pg_(try_)?advisory_(lock|unlock)(_shared|_all)?$/;

const ROLE_SETTINGS = new Set(["role", "session_authorization"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function* nodes(value: Json | undefined, key = ""): Generator<[string, { [key: string]: Json }]> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodes(item);
  } else if (isObject(value)) {
    if (key) yield [key, value];
    for (const [k, v] of Object.entries(value)) yield* nodes(v, k);
  }
}

function stringValue(node: Json | undefined): string | undefined {
  if (!isObject(node)) return undefined;
  const constant = node.A_Const;
  if (isObject(constant) && isObject(constant.sval) && typeof constant.sval.sval === "string") {
    return constant.sval.sval;
  }
  return undefined;
}

function functionName(node: { [key: string]: Json }): string | undefined {
  if (!Array.isArray(node.funcname)) return undefined;
  const last = node.funcname[node.funcname.length - 1];
  return isObject(last) && isObject(last.String) && typeof last.String.sval === "string" ? last.String.sval : undefined;
}

/** Refusal for statements that would let a connection change its role or reach other sessions. */
function refusal(type: string, node: { [key: string]: Json }, superuser: boolean): Classified | undefined {
  if (type === "VariableSetStmt" && typeof node.name === "string" && ROLE_SETTINGS.has(node.name)) {
    return {
      kind: "refuse",
      code: "42501",
      message: `permission denied to set ${node.name === "role" ? "role" : "session authorization"}`,
      hint: "The embedded server runs every transaction under the connection's login role; connect as the role you need.",
    };
  }
  if (type === "DiscardStmt" && node.target === "DISCARD_ALL") {
    return {
      kind: "refuse",
      code: "0A000",
      message: "DISCARD ALL is not supported by the embedded server",
      hint: "All connections share one engine session; deallocate your own statements instead.",
    };
  }
  if (type === "DeallocateStmt" && node.isall === true) {
    return {
      kind: "refuse",
      code: "0A000",
      message: "DEALLOCATE ALL is not supported by the embedded server",
      hint: "All connections share one engine session; deallocate statements by name.",
    };
  }
  if (type === "ListenStmt") {
    return {
      kind: "refuse",
      code: "0A000",
      message: "LISTEN is not supported by the embedded server",
      hint: "All connections share one engine session, so notifications could reach the wrong client.",
    };
  }
  const called = type === "FuncCall" ? functionName(node) : undefined;
  if (called && SESSION_ADVISORY.test(called)) {
    return {
      kind: "refuse",
      code: "0A000",
      message: `${called}() is not supported by the embedded server`,
      hint: "Session-level advisory locks do not exclude other connections here; use pg_advisory_xact_lock().",
    };
  }
  if (superuser) return undefined;
  // A non-superuser could otherwise switch the shared session back to the superuser:
  // the engine's authenticated user is the superuser, so SET SESSION AUTHORIZATION from
  // a DO block or set_config() would be allowed.
  if (type === "DoStmt") {
    return {
      kind: "refuse",
      code: "42501",
      message: "DO blocks are only allowed for superusers on the embedded server",
    };
  }
  if (called === "set_config") {
    const setting = Array.isArray(node.args) ? stringValue(node.args[0]) : undefined;
    if (setting === undefined || ROLE_SETTINGS.has(setting.toLowerCase())) {
      return {
        kind: "refuse",
        code: "42501",
        message: "set_config() of role or session_authorization (or of a computed name) is not allowed",
      };
    }
  }
  return undefined;
}

async function copyIn(sql: string, node: { [key: string]: Json }): Promise<CopyIn> {
  const relation = node.relation;
  if (!isObject(relation) || typeof relation.relname !== "string") {
    throw new Error("COPY FROM STDIN without a target table");
  }
  const target =
    typeof relation.schemaname === "string"
      ? `${quoteIdent(relation.schemaname)}.${quoteIdent(relation.relname)}`
      : quoteIdent(relation.relname);
  let binary = false;
  for (const [type, option] of nodes(node.options ?? null)) {
    if (type !== "DefElem" || option.defname !== "format") continue;
    const arg = option.arg;
    binary = isObject(arg) && isObject(arg.String) && String(arg.String.sval).toLowerCase() === "binary";
  }
  // Replace the STDIN keyword token in the original text so every option keeps its exact form.
  const bytes = Buffer.from(sql, "utf8");
  const { tokens } = await scan(sql);
  const stdin = tokens.find((t) => t.text.toLowerCase() === "stdin");
  if (!stdin) throw new Error("COPY FROM STDIN without a STDIN token");
  const engineSql = `${bytes.subarray(0, stdin.start).toString("utf8")}'/dev/blob'${bytes.subarray(stdin.end).toString("utf8")}`;
  return {
    kind: "copy-in",
    engineSql,
    target,
    columns: Array.isArray(node.attlist) ? node.attlist.length : 0,
    binary,
  };
}

/**
 * Classifies the SQL of a simple Query (or of a Parse message: `extended` true, where COPY
 * FROM STDIN is refused because the layer only emulates it in the simple protocol).
 */
export async function classify(sql: string, opts: { superuser: boolean; extended: boolean }): Promise<Classified> {
  // The raw text on purpose: stripping literals without a real lexer (comments, E'' and
  // dollar quotes) would let a statement hide inside a fake literal.
  if (!MAY_NEED_PARSE.test(sql)) return { kind: "pass" };
  let stmts: Json[];
  try {
    const result = (await parse(sql)) as unknown as { stmts?: Json[] };
    stmts = result.stmts ?? [];
  } catch {
    // The engine reports syntax errors itself, with the right position.
    return { kind: "pass" };
  }
  let copy: { [key: string]: Json } | undefined;
  for (const [type, node] of nodes(stmts)) {
    const refused = refusal(type, node, opts.superuser);
    if (refused) return refused;
    if (type === "CopyStmt" && node.is_from === true && node.filename === undefined && node.is_program !== true) {
      copy = node;
    }
  }
  if (!copy) return { kind: "pass" };
  if (opts.extended || stmts.length > 1) {
    return {
      kind: "refuse",
      code: "0A000",
      message: "COPY FROM STDIN is only supported as a single statement in the simple query protocol",
    };
  }
  return copyIn(sql, copy);
}

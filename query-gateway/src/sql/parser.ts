/**
 * The one place the gateway turns SQL text into a PostgreSQL parse tree.
 *
 * libpg-query is the real Postgres parser compiled to WASM; its module must be
 * loaded once (asynchronously) before the synchronous entry points work, so the
 * gateway awaits `loadSqlParser()` in its `start()` and everything downstream
 * stays synchronous and pure.
 */
import type { Node, ParseResult } from "libpg-query";
import { hasSqlDetails, loadModule, parseSync, scanSync } from "libpg-query";
import { GatewayError, SQLSTATE } from "../errors.ts";

let loaded: Promise<void> | undefined;
let ready = false;

/** Loads the WASM parser; safe to call any number of times. */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

/**
 * DuckDB-only statements that the Postgres grammar cannot parse. When one of
 * these words starts a statement that fails to parse, the syntax error says so,
 * which is kinder than a bare "syntax error at or near".
 */
const DUCKDB_ONLY_STATEMENTS = new Set([
  "attach",
  "detach",
  "install",
  "force",
  "pragma",
  "export",
  "import",
  "use",
  "summarize",
  "describe",
  "pivot",
  "unpivot",
]);

/** Parses SQL text; a parse failure becomes GatewayError 42601 with the parser's message and position. */
export function parseSql(sql: string): ParseResult {
  if (!ready) {
    throw new Error("the SQL parser is not loaded: await loadSqlParser() first");
  }
  try {
    return parseSync(sql);
  } catch (error) {
    const details = hasSqlDetails(error) ? error.sqlDetails : undefined;
    const message = details?.message ?? (error instanceof Error ? error.message : "syntax error");
    // libpg-query reports a 0-based character offset; Postgres clients expect 1-based.
    const position = details === undefined ? undefined : details.cursorPosition + 1;
    const first = firstWord(sql);
    const detail =
      first !== undefined && DUCKDB_ONLY_STATEMENTS.has(first)
        ? `${first.toUpperCase()} statements are not accepted: the gateway speaks PostgreSQL SQL and allows read-only queries only`
        : undefined;
    throw new GatewayError("syntax", SQLSTATE.syntaxError, message, {
      ...(position === undefined ? {} : { position }),
      ...(detail === undefined ? {} : { detail }),
    });
  }
}

/** The first token of the text, lowercased, using the Postgres scanner (comments skipped). */
function firstWord(sql: string): string | undefined {
  try {
    return scanSync(sql).tokens[0]?.text.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Converts a parse-tree `location` (a 0-based byte offset, as Postgres keeps
 * them) to the 1-based character position clients expect.
 */
export function positionOf(sql: string, byteOffset: number | undefined): number | undefined {
  if (byteOffset === undefined || byteOffset < 0) return undefined;
  const prefix = Buffer.from(sql, "utf8").subarray(0, byteOffset).toString("utf8");
  return Array.from(prefix).length + 1;
}

/** The node's type name and payload, e.g. `["SelectStmt", {...}]`. */
export function unwrap(node: Node): [string, unknown] {
  const entry = Object.entries(node)[0];
  if (entry === undefined) throw new Error("empty parse-tree node");
  return entry;
}

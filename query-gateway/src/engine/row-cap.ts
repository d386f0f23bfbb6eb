/**
 * A bound on a final statement's rows, written into its top-level LIMIT.
 *
 * Why: DuckDB streams a result only through a prepared statement, which
 * binds and plans the query twice (prepare, then again at execution: ~1.3 ms
 * over a Parquet view) and costs a thread hop per call; a materialized result
 * takes one call. Materializing is safe only when the result is bounded, and
 * a result above the gateway's row limit fails anyway — so a statement capped
 * at that limit plus one row returns the same rows, or the same `limit`
 * failure, and can be read in one call without holding more than the cap.
 */
import type { Node } from "libpg-query";

/**
 * `stmt` with its top-level LIMIT lowered to at most `cap` (added when it has
 * none, replacing LIMIT ALL), or null when the limit is not a plain constant
 * (an expression, a parameter) or is WITH TIES, whose row count the cap
 * cannot bound. OFFSET is kept: LIMIT counts the rows after it.
 */
export function withRowCap(stmt: Node, cap: number): Node | null {
  if (!("SelectStmt" in stmt)) return null;
  const select = stmt.SelectStmt;
  if (select.limitOption === "LIMIT_OPTION_WITH_TIES") return null;
  const current = constantLimit(select.limitCount);
  if (current === null) return null;
  if (current !== "all" && current <= cap) return stmt;
  return {
    SelectStmt: {
      ...select,
      limitCount: { A_Const: { ival: { ival: cap } } },
      limitOption: "LIMIT_OPTION_COUNT",
    },
  };
}

/** The LIMIT's value: "all" for none, ALL or NULL; a number for a numeric constant; null for anything else. */
function constantLimit(limit: Node | undefined): number | "all" | null {
  if (limit === undefined) return "all";
  if (!("A_Const" in limit)) return null;
  const constant = limit.A_Const;
  if (constant.isnull === true) return "all";
  // The parse tree leaves out a zero: LIMIT 0 is `ival: {}`.
  if (constant.ival !== undefined) return constant.ival.ival ?? 0;
  // Integers beyond 32 bits and fractions (Postgres rounds them) come as numeric text.
  const numeric = constant.fval?.fval;
  if (numeric !== undefined) return finite(Number(numeric));
  // A parameter, inlined as text: Postgres reads it as a bigint, so only an integer is valid.
  const text = constant.sval?.sval;
  return text !== undefined && /^\s*[+-]?\d+\s*$/.test(text) ? finite(Number(text)) : null;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * The fallback for a spanning query that cannot be decomposed: the hot rows
 * it may read (its time ranges, only the flow columns it uses) are copied
 * into DuckDB beside the cold files. Pure helpers: which columns, which SQL,
 * and $n parameters inlined for the DuckDB side.
 */
import { FLOW_COLUMNS, TIME_COLUMN } from "@netflow/schema";
import type { Node } from "libpg-query";
import type { RangeSet } from "../sql/time-range.ts";
import { isRecord, nameList } from "../sql/walk.ts";
import { formatInstant } from "./values.ts";

const FLOW_NAMES = FLOW_COLUMNS.map((c) => c.name);

/** Flow columns the statement may read (all of them when it uses `*`); the time column always. */
export function usedFlowColumns(stmt: Node): string[] {
  const used = new Set<string>([TIME_COLUMN]);
  const aliases = flowsAliases(stmt);
  let star = false;
  const visit = (value: unknown): void => {
    if (star) return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!isRecord(value)) return;
    if (isRecord(value.ColumnRef)) {
      const fields = Array.isArray(value.ColumnRef.fields) ? value.ColumnRef.fields : [];
      if (fields.some((f) => isRecord(f) && "A_Star" in f)) star = true;
      for (const name of nameList(fields)) if (FLOW_NAMES.includes(name)) used.add(name);
      // A bare table alias used as a whole-row value (SELECT f FROM flows f) needs every column.
      if (fields.length === 1 && aliases.has(nameList(fields)[0] ?? "")) star = true;
    }
    Object.values(value).forEach(visit);
  };
  visit(stmt);
  return star ? [...FLOW_NAMES] : FLOW_NAMES.filter((n) => used.has(n));
}

function flowsAliases(stmt: Node): Set<string> {
  const out = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      if (isRecord(value.RangeVar) && String(value.RangeVar.relname).toLowerCase() === "flows") {
        const alias = isRecord(value.RangeVar.alias) ? value.RangeVar.alias.aliasname : undefined;
        out.add(typeof alias === "string" ? alias : "flows");
      }
      Object.values(value).forEach(visit);
    }
  };
  visit(stmt);
  return out;
}

/** SQL for the hot rows in `ranges` (one row more than `limit`, so the caller can tell it overflowed). */
export function hotSliceSql(columns: readonly string[], ranges: RangeSet, limit: number): string {
  const list = columns.map((c) => `"${c}"`).join(", ");
  return `SELECT ${list} FROM flows WHERE ${rangePredicate(ranges)} LIMIT ${limit + 1}`;
}

export function rangePredicate(ranges: RangeSet): string {
  if (ranges.length === 0) return "false";
  const parts = ranges.map((r) => {
    const sides: string[] = [];
    if (r.from !== null) sides.push(`${TIME_COLUMN} >= '${formatInstant(r.from)}'::timestamptz`);
    if (r.to !== null) sides.push(`${TIME_COLUMN} < '${formatInstant(r.to)}'::timestamptz`);
    return sides.length === 0 ? "true" : `(${sides.join(" AND ")})`;
  });
  return parts.join(" OR ");
}

/**
 * Replaces $n by its text value as an untyped string literal — what Postgres
 * does with a text-format parameter of unspecified type — so the DuckDB side
 * runs a self-contained statement.
 */
export function inlineParams(stmt: Node, params: readonly (string | null)[] | undefined): Node {
  if (params === undefined || params.length === 0) return stmt;
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isRecord(value)) return value;
    if (isRecord(value.ParamRef)) {
      const n = Number(value.ParamRef.number ?? 0);
      const text = params[n - 1];
      if (text === undefined) return value;
      return text === null ? { A_Const: { isnull: true } } : { A_Const: { sval: { sval: text } } };
    }
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = visit(child);
    return out;
  };
  return visit(stmt) as Node;
}

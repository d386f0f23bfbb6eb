/**
 * Lookup tables (schema `ref` in the hot database: exporters, interfaces, AS
 * names…) on the DuckDB side. They are small, so the ones a query names are
 * read inside the consistent cut and loaded into the query's DuckDB session as
 * temp tables `ref__<name>`; the DuckDB SQL names those instead. Addresses
 * (inet) become the same 16-byte BLOBs as the flow columns, so joins on
 * addresses match.
 */
import type { Node } from "libpg-query";
import { isRecord } from "../sql/walk.ts";

export const REF_SCHEMA = "ref";

/** The `ref` tables the statement reads, lowercased, each once. */
export function refTablesOf(stmt: Node): string[] {
  const out = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      const rv = value.RangeVar;
      if (isRecord(rv) && rv.schemaname === REF_SCHEMA && typeof rv.relname === "string") out.add(rv.relname);
      Object.values(value).forEach(visit);
    }
  };
  visit(stmt);
  return [...out];
}

/** The temp-table name a ref table has in DuckDB. */
export function duckRefName(table: string): string {
  return `ref__${table}`;
}

/** A copy of the statement reading `ref__<name>` temp tables instead of `ref.<name>`. */
export function renameRefTables(stmt: Node): Node {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = visit(child);
    const rv = out.RangeVar;
    if (isRecord(rv) && rv.schemaname === REF_SCHEMA && typeof rv.relname === "string") {
      const { schemaname: _schema, ...rest } = rv;
      const alias = isRecord(rv.alias) ? rv.alias : { aliasname: rv.relname };
      // Keep the table's own name as its alias, so `exporters.name` still resolves.
      out.RangeVar = { ...rest, relname: duckRefName(rv.relname), alias };
    }
    return out;
  };
  return visit(stmt) as Node;
}

/** Reads one ref table (the caller caps the rows). */
export function refSelectSql(table: string): string {
  return `SELECT * FROM ${REF_SCHEMA}."${table.replaceAll('"', '""')}"`;
}

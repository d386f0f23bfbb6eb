/**
 * From a checked query and its route to what each engine runs. Pure: the
 * SQL texts are derived from the parse tree, never from the client's text by
 * string editing; the cold side always gets `rewriteStatement` output.
 */
import type { Node } from "libpg-query";
import { deparseSync } from "pgsql-deparser";
import type { Route } from "../route/route.ts";
import { parseSql } from "../sql/parser.ts";
import { rewriteStatement } from "../sql/rewrite.ts";
import type { RangeSet } from "../sql/time-range.ts";
import { withPostgresNames } from "./column-names.ts";
import { hotSliceSql, inlineParams, usedFlowColumns } from "./hot-slice.ts";
import { splitAggregate } from "./partial-aggregate.ts";
import { refTablesOf, renameRefTables } from "./ref-tables.ts";
import { withRowCap } from "./row-cap.ts";

export type Strategy = "hot" | "cold" | "partial-aggregate" | "hot-slice";

export type Plan =
  /** The client's statement on the hot tier (also when no tier holds matching rows). */
  | { readonly strategy: "hot"; readonly hotSql: string }
  /** The rewritten SQL on DuckDB over the pruned cold files. */
  | {
      readonly strategy: "cold";
      readonly coldSql: string;
      readonly refTables: readonly string[];
      /** The final statement returns at most `rowCap` rows (see row-cap.ts). */
      readonly capped: boolean;
      /** The SQL holds the query's now() as a literal: planned at another instant, it differs. */
      readonly usesNow: boolean;
    }
  /** Partial aggregates on both tiers, merged in DuckDB over PARTS_TABLE. */
  | {
      readonly strategy: "partial-aggregate";
      readonly hotSql: string;
      readonly coldSql: string;
      readonly mergeSql: string;
      readonly refTables: readonly string[];
      readonly capped: boolean;
    }
  /** Hot rows in range copied beside the cold files; the rewritten SQL runs over both. */
  | {
      readonly strategy: "hot-slice";
      readonly sliceSql: string;
      readonly sliceColumns: readonly string[];
      readonly coldSql: string;
      /** Lookup tables (schema ref) the DuckDB side needs copied in. */
      readonly refTables: readonly string[];
      readonly capped: boolean;
    };

export interface PlanOptions {
  /** The client's SQL text (the hot strategy runs it as written). */
  readonly sql: string;
  readonly timeZone: string;
  /** The query's now() in epoch microseconds, shared by every engine. */
  readonly now: bigint;
  readonly params?: readonly (string | null)[];
  /** Ranges of ts the query reads (the time-bounds union). */
  readonly ranges: RangeSet;
  readonly hotSliceRowLimit: number;
  /**
   * Most rows a final DuckDB statement needs to return: the gateway's row limit plus one (a
   * result with more fails). Written into its top-level LIMIT when that can be done exactly.
   */
  readonly rowCap: number;
}

export function planQuery(stmt: Node, route: Route, options: PlanOptions): Plan {
  if (route.route === "hot" || route.route === "none") return { strategy: "hot", hotSql: statementText(options.sql) };
  let usesNow = false;
  // For the cold side, of a statement whose parameters are inlined already.
  const cold = (node: Node) =>
    rewriteStatement(renameRefTables(withPostgresNames(node)), {
      timeZone: options.timeZone,
      now: options.now,
      usedNow: () => {
        usesNow = true;
      },
    });
  // The final statement, capped when its LIMIT allows (parameters inlined first: LIMIT $1 is a constant then).
  const final = (node: Node, render: (n: Node) => string) => {
    const inlined = inlineParams(node, options.params);
    const capped = withRowCap(inlined, options.rowCap);
    return capped === null ? { sql: render(inlined), capped: false } : { sql: render(capped), capped: true };
  };
  const refTables = refTablesOf(stmt);
  if (route.route === "cold") {
    const { sql, capped } = final(stmt, cold);
    return { strategy: "cold", coldSql: sql, refTables, capped, usesNow };
  }
  const split = splitAggregate(stmt);
  if (split !== null) {
    const merge = final(split.merge, (n) => deparseSync([n], { pretty: false }));
    // Parameters inlined on the hot side too: the partial query drops the LIMIT and OFFSET, and
    // with them any parameter only they used, which Postgres would refuse to bind.
    const partial = inlineParams(split.partial, options.params);
    return {
      strategy: "partial-aggregate",
      hotSql: deparseSync([partial], { pretty: false }),
      coldSql: cold(partial),
      mergeSql: merge.sql,
      refTables,
      capped: merge.capped,
    };
  }
  const sliceColumns = usedFlowColumns(stmt);
  const { sql, capped } = final(stmt, cold);
  return {
    strategy: "hot-slice",
    sliceSql: hotSliceSql(sliceColumns, options.ranges, options.hotSliceRowLimit),
    sliceColumns,
    coldSql: sql,
    refTables,
    capped,
  };
}

/**
 * The statement's own text, without a trailing `;` or comments after it: the
 * hot engine wraps it in a subquery to cap its rows. Parse-tree locations are
 * byte offsets.
 */
export function statementText(sql: string): string {
  const stmt = parseSql(sql).stmts?.[0];
  const bytes = Buffer.from(sql, "utf8");
  const start = stmt?.stmt_location ?? 0;
  const length = stmt?.stmt_len ?? 0;
  return bytes.subarray(start, length > 0 ? start + length : bytes.length).toString("utf8");
}

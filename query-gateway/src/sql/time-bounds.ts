/**
 * Which instants of `flows.ts` a query can read, per reference to `flows`.
 *
 * Every `flows` reference (through aliases, joins, subqueries, CTEs, set
 * operations, EXPLAIN) gets the set of ts ranges that its rows must fall in to
 * affect the result, from the WHERE clause and the join conditions that filter
 * it, plus simple filters applied outside a subquery or CTE that passes ts
 * through. Everything is a superset: a predicate or value not understood widens
 * to unbounded, so routing may read more than needed but never misses rows.
 */

import { TIME_COLUMN } from "@netflow/schema";
import type { Node, SelectStmt } from "libpg-query";
import { parseSql, positionOf } from "./parser.ts";
import { predicateRanges } from "./time-predicate.ts";
import { ALL, intersect, NONE, type RangeSet, union } from "./time-range.ts";
import type { TimeContext } from "./time-value.ts";
import { isRecord, nameList } from "./walk.ts";

export type { TimeContext } from "./time-value.ts";

/** The flow table the gateway routes. */
export const FLOWS_TABLE = "flows";

export interface FlowsReference {
  /** The name the query uses for this reference (its alias, or "flows"). */
  readonly alias: string;
  /** 1-based character position of the reference in the SQL text. */
  readonly position: number | undefined;
  /** The ts ranges this reference may read; [] means no row can match. */
  readonly ranges: RangeSet;
}

export interface TimeBounds {
  readonly references: readonly FlowsReference[];
  /** Union over all references: what the query reads from `flows` as a whole. */
  readonly union: RangeSet;
}

/** Parses SQL and extracts the time bounds of its single statement. */
export function extractTimeBounds(sql: string, ctx: TimeContext): TimeBounds {
  const stmt = parseSql(sql).stmts?.[0]?.stmt;
  return stmt === undefined ? { references: [], union: NONE } : timeBoundsOf(stmt, ctx, sql);
}

/** Time bounds of an already parsed statement (e.g. the node checkStatement returned). */
export function timeBoundsOf(stmt: Node, ctx: TimeContext, sql?: string): TimeBounds {
  const analysis = new Analysis(ctx, sql);
  const query = "ExplainStmt" in stmt ? stmt.ExplainStmt.query : stmt;
  if (query !== undefined) analysis.query(query, null, null);
  // Report references in the order they appear in the text.
  const references = [...analysis.references].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  return { references, union: references.reduce<RangeSet>((acc, r) => union(acc, r.ranges), NONE) };
}

/** Constraints pushed into a subquery or CTE from outside, by output column name. */
type Pushed = ReadonlyMap<string, RangeSet>;

interface Cte {
  readonly query: Node;
  readonly recursive: boolean;
  /** One entry per reference: what the referencing query filters each column on. */
  readonly pushes: Pushed[];
}

interface Scope {
  readonly ctes: ReadonlyMap<string, Cte>;
  readonly parent: Scope | null;
}

/** A FROM item of one SELECT, as far as time bounds care. */
type Entry =
  | {
      readonly kind: "flows";
      readonly alias: string;
      readonly location: number | undefined;
      readonly names: ReadonlySet<string>;
    }
  | { readonly kind: "subquery"; readonly alias: string; readonly query: Node; readonly names: ReadonlySet<string> }
  | { readonly kind: "cte"; readonly alias: string; readonly cte: Cte; readonly names: ReadonlySet<string> }
  | { readonly kind: "other"; readonly alias: string; readonly names: ReadonlySet<string> };

/** A predicate and the FROM entries whose rows it filters ("all" for WHERE). */
interface Condition {
  readonly node: Node;
  readonly filters: ReadonlySet<Entry> | "all";
}

const NO_NAMES: ReadonlySet<string> = new Set();

class Analysis {
  readonly references: FlowsReference[] = [];

  constructor(
    private readonly ctx: TimeContext,
    private readonly sql: string | undefined,
  ) {}

  query(node: Node, scope: Scope | null, pushed: Pushed | null): void {
    if ("SelectStmt" in node) this.select(node.SelectStmt, scope, pushed);
    else this.nested(node, scope);
  }

  private select(s: SelectStmt, outer: Scope | null, pushed: Pushed | null): void {
    let scope = outer;
    const ctes: Cte[] = [];
    if (s.withClause !== undefined) {
      const map = new Map<string, Cte>();
      for (const item of s.withClause.ctes ?? []) {
        if (!("CommonTableExpr" in item)) continue;
        const { ctename, ctequery } = item.CommonTableExpr;
        if (ctename === undefined || ctequery === undefined) continue;
        const cte: Cte = { query: ctequery, recursive: s.withClause.recursive === true, pushes: [] };
        map.set(ctename, cte);
        ctes.push(cte);
      }
      scope = { ctes: map, parent: outer };
    }

    if (s.op !== undefined && s.op !== "SETOP_NONE") {
      // Set operations: each branch is filtered on its own; outer filters are not pushed.
      if (s.larg !== undefined) this.select(s.larg, scope, null);
      if (s.rarg !== undefined) this.select(s.rarg, scope, null);
      this.nestedIn([s.sortClause, s.limitCount, s.limitOffset], scope);
    } else {
      this.body(s, scope, pushed);
    }

    // CTEs last, latest first: by then every reference to them has recorded its filters.
    for (const cte of [...ctes].reverse()) {
      this.query(cte.query, scope, cte.recursive ? null : combinePushes(cte.pushes));
    }
  }

  private body(s: SelectStmt, scope: Scope | null, pushed: Pushed | null): void {
    const entries: Entry[] = [];
    const conditions: Condition[] = [];
    for (const item of s.fromClause ?? []) this.fromItem(item, scope, entries, conditions);
    if (s.whereClause !== undefined) conditions.push({ node: s.whereClause, filters: "all" });

    const passthrough = pushed === null ? new Map<string, Entry>() : passthroughColumns(s, entries);
    for (const entry of entries) {
      if (entry.kind === "flows") {
        let ranges = this.constrain(conditions, entries, entry, TIME_COLUMN);
        for (const [name, target] of passthrough) {
          const outside = pushed?.get(name);
          if (target === entry && outside !== undefined) ranges = intersect(ranges, outside);
        }
        this.references.push({
          alias: entry.alias,
          position: this.sql === undefined ? undefined : positionOf(this.sql, entry.location),
          ranges,
        });
      } else if (entry.kind === "subquery" || entry.kind === "cte") {
        const push = new Map<string, RangeSet>();
        for (const name of entry.names) push.set(name, this.constrain(conditions, entries, entry, name));
        if (entry.kind === "subquery") this.query(entry.query, scope, push);
        else entry.cte.pushes.push(push);
      }
    }
    this.nestedIn(
      [
        s.targetList,
        s.whereClause,
        s.groupClause,
        s.havingClause,
        s.windowClause,
        s.sortClause,
        s.valuesLists,
        s.limitCount,
        s.limitOffset,
        s.distinctClause,
      ],
      scope,
    );
  }

  /** Collects the entries of one FROM item and the join conditions that filter them. */
  private fromItem(item: Node, scope: Scope | null, entries: Entry[], conditions: Condition[]): Entry[] {
    if ("RangeVar" in item) {
      const rv = item.RangeVar;
      const relname = rv.relname ?? "";
      const alias = rv.alias?.aliasname ?? relname;
      const cte = rv.schemaname === undefined ? lookupCte(scope, relname) : undefined;
      let entry: Entry;
      if (cte !== undefined) {
        entry = { kind: "cte", alias, cte, names: this.outputNames(cte.query, scope) };
      } else if (isFlowsTable(rv.schemaname, relname)) {
        entry = { kind: "flows", alias, location: rv.location, names: new Set([TIME_COLUMN]) };
      } else {
        entry = { kind: "other", alias, names: NO_NAMES };
      }
      entries.push(entry);
      return [entry];
    }
    if ("RangeSubselect" in item) {
      const sub = item.RangeSubselect;
      if (sub.subquery === undefined) return [];
      // Renamed columns (AS s(a, b)) would need positional mapping: no push then.
      const renamed = (sub.alias?.colnames ?? []).length > 0;
      const entry: Entry = {
        kind: "subquery",
        alias: sub.alias?.aliasname ?? "",
        query: sub.subquery,
        names: renamed ? NO_NAMES : this.outputNames(sub.subquery, scope),
      };
      entries.push(entry);
      return [entry];
    }
    if ("JoinExpr" in item) {
      const join = item.JoinExpr;
      const left = join.larg === undefined ? [] : this.fromItem(join.larg, scope, entries, conditions);
      const right = join.rarg === undefined ? [] : this.fromItem(join.rarg, scope, entries, conditions);
      if (join.quals !== undefined) {
        // An ON condition filters the rows of the sides it can drop: both for an
        // inner join, only the null-extended side of an outer join.
        const filtered =
          join.jointype === "JOIN_LEFT"
            ? right
            : join.jointype === "JOIN_RIGHT"
              ? left
              : join.jointype === "JOIN_FULL"
                ? []
                : [...left, ...right];
        conditions.push({ node: join.quals, filters: new Set(filtered) });
        this.nested(join.quals, scope);
      }
      return [...left, ...right];
    }
    // Table functions, ROWS FROM, etc.: no flows reference of their own, but their arguments may hold subqueries.
    this.nested(item, scope);
    return [];
  }

  /** Output column names of a simple query that pass a flows ts through unchanged. */
  private outputNames(query: Node, scope: Scope | null): ReadonlySet<string> {
    if (!("SelectStmt" in query)) return NO_NAMES;
    const s = query.SelectStmt;
    if (s.withClause !== undefined || (s.op !== undefined && s.op !== "SETOP_NONE")) return NO_NAMES;
    const entries: Entry[] = [];
    for (const item of s.fromClause ?? []) this.fromItemShallow(item, scope, entries);
    return new Set(passthroughColumns(s, entries).keys());
  }

  /** Like fromItem, but only lists the direct entries (no analysis, no recursion into subqueries). */
  private fromItemShallow(item: Node, scope: Scope | null, entries: Entry[]): void {
    if ("RangeVar" in item) {
      const rv = item.RangeVar;
      const relname = rv.relname ?? "";
      const alias = rv.alias?.aliasname ?? relname;
      const isCte = rv.schemaname === undefined && lookupCte(scope, relname) !== undefined;
      entries.push(
        !isCte && isFlowsTable(rv.schemaname, relname)
          ? { kind: "flows", alias, location: rv.location, names: new Set([TIME_COLUMN]) }
          : { kind: "other", alias, names: NO_NAMES },
      );
    } else if ("JoinExpr" in item) {
      if (item.JoinExpr.larg !== undefined) this.fromItemShallow(item.JoinExpr.larg, scope, entries);
      if (item.JoinExpr.rarg !== undefined) this.fromItemShallow(item.JoinExpr.rarg, scope, entries);
    } else if ("RangeSubselect" in item) {
      entries.push({ kind: "other", alias: item.RangeSubselect.alias?.aliasname ?? "", names: NO_NAMES });
    }
  }

  /** The ranges of `entry.column` allowed by the conditions that filter the entry. */
  private constrain(
    conditions: readonly Condition[],
    entries: readonly Entry[],
    entry: Entry,
    column: string,
  ): RangeSet {
    let ranges = ALL;
    for (const condition of conditions) {
      if (condition.filters !== "all" && !condition.filters.has(entry)) continue;
      ranges = intersect(
        ranges,
        predicateRanges(condition.node, (fields) => refersTo(fields, entries, entry, column), this.ctx),
      );
    }
    return ranges;
  }

  /** Analyzes the subqueries nested in expressions (SubLinks, LATERAL function arguments, ...) without pushing filters. */
  private nested(value: unknown, scope: Scope | null): void {
    if (Array.isArray(value)) {
      for (const v of value) this.nested(v, scope);
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === "SelectStmt" && isRecord(child)) this.select(child as SelectStmt, scope, null);
      else this.nested(child, scope);
    }
  }

  private nestedIn(values: readonly unknown[], scope: Scope | null): void {
    for (const v of values) this.nested(v, scope);
  }
}

function isFlowsTable(schema: string | undefined, relname: string): boolean {
  return relname.toLowerCase() === FLOWS_TABLE && (schema === undefined || schema === "public");
}

function lookupCte(scope: Scope | null, name: string): Cte | undefined {
  for (let s = scope; s !== null; s = s.parent) {
    const cte = s.ctes.get(name);
    if (cte !== undefined) return cte;
  }
  return undefined;
}

/** Whether a column reference (its name parts) denotes `column` of `entry` among the FROM entries. */
function refersTo(fields: string[], entries: readonly Entry[], entry: Entry, column: string): boolean {
  const name = fields[fields.length - 1];
  if (name !== column || !entry.names.has(column)) return false;
  if (fields.length === 1) {
    // Unqualified: only unambiguous if no other entry exposes that name.
    return entries.filter((e) => e.names.has(column)).length === 1;
  }
  return fields[fields.length - 2] === entry.alias;
}

/**
 * Output names of a query that carry a flows entry's ts unchanged and keep
 * their meaning when the outer query filters on them: no LIMIT/OFFSET,
 * DISTINCT ON or window functions (filters do not commute with those).
 */
function passthroughColumns(s: SelectStmt, entries: readonly Entry[]): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const distinctOn = (s.distinctClause ?? []).some((d) => Object.keys(d).length > 0);
  if (s.limitCount !== undefined || s.limitOffset !== undefined || distinctOn || hasWindow(s)) return out;
  const flows = entries.filter((e) => e.kind === "flows");
  for (const target of s.targetList ?? []) {
    if (!("ResTarget" in target) || target.ResTarget.val === undefined) continue;
    const val = target.ResTarget.val;
    if (!("ColumnRef" in val)) continue;
    const fields = val.ColumnRef.fields ?? [];
    const star = fields.some((f) => "A_Star" in f);
    const names = nameList(fields);
    if (star) {
      const qualifier = names[names.length - 1];
      const match =
        names.length === 0 ? (flows.length === 1 ? flows[0] : undefined) : flows.find((f) => f.alias === qualifier);
      if (match !== undefined && !out.has(TIME_COLUMN)) out.set(TIME_COLUMN, match);
      continue;
    }
    const match = flows.find((f) => refersTo(names, entries, f, TIME_COLUMN));
    if (match !== undefined) out.set(target.ResTarget.name ?? TIME_COLUMN, match);
  }
  return out;
}

function hasWindow(s: SelectStmt): boolean {
  if ((s.windowClause ?? []).length > 0) return true;
  let found = false;
  const visit = (value: unknown): void => {
    if (found) return;
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (key === "SelectStmt") continue;
        if (key === "FuncCall" && isRecord(child) && child.over !== undefined) found = true;
        visit(child);
      }
    }
  };
  visit(s.targetList);
  return found;
}

/** Unions what each reference to a CTE filters; a column one reference leaves open stays open. */
function combinePushes(pushes: readonly Pushed[]): Pushed | null {
  if (pushes.length === 0) return null;
  const names = new Set(pushes.flatMap((p) => [...p.keys()]));
  const out = new Map<string, RangeSet>();
  for (const name of names) {
    out.set(
      name,
      pushes.reduce<RangeSet>((acc, p) => union(acc, p.get(name) ?? ALL), NONE),
    );
  }
  return out;
}

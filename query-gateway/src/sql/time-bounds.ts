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
import type { Node, SelectStmt } from "libpg-query";
import { TIME_COLUMN } from "@netflow/schema";
import { parseSql, positionOf } from "./parser.ts";
import { ALL, intersect, NONE, type RangeSet, range, union } from "./time-range.ts";
import { fixedWidthUs, fold, foldInstant, type TimeContext } from "./time-value.ts";
import { parseIntervalText } from "./time-literal.ts";
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
const US_PER_HOUR = 3_600_000_000n;
const US_PER_DAY = 24n * US_PER_HOUR;
/** Slack for calendar units in a zone: a DST day lasts 25 hours. */
const ZONE_SLACK = 2n * US_PER_HOUR;

const TRUNC_WIDTH_US: Readonly<Record<string, bigint>> = {
  microseconds: 1n,
  milliseconds: 1000n,
  second: 1_000_000n,
  minute: 60_000_000n,
  hour: US_PER_HOUR + ZONE_SLACK,
  day: US_PER_DAY + ZONE_SLACK,
  week: 7n * US_PER_DAY + ZONE_SLACK,
  month: 31n * US_PER_DAY + ZONE_SLACK,
  quarter: 92n * US_PER_DAY + ZONE_SLACK,
  year: 366n * US_PER_DAY + ZONE_SLACK,
  decade: 3653n * US_PER_DAY + ZONE_SLACK,
  century: 36525n * US_PER_DAY + ZONE_SLACK,
  millennium: 365250n * US_PER_DAY + ZONE_SLACK,
};

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
        this.references.push({ alias: entry.alias, position: positionOf(this.sql ?? "", entry.location), ranges });
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
        this.predicate(condition.node, (fields) => refersTo(fields, entries, entry, column)),
      );
    }
    return ranges;
  }

  /** The values of the target column for which the predicate can be true (a superset). */
  private predicate(node: Node, isTarget: (fields: string[]) => boolean): RangeSet {
    if ("BoolExpr" in node) {
      const args = node.BoolExpr.args ?? [];
      if (node.BoolExpr.boolop === "AND_EXPR") {
        return args.reduce<RangeSet>((acc, a) => intersect(acc, this.predicate(a, isTarget)), ALL);
      }
      if (node.BoolExpr.boolop === "OR_EXPR") {
        return args.reduce<RangeSet>((acc, a) => union(acc, this.predicate(a, isTarget)), NONE);
      }
      return ALL;
    }
    if (!("A_Expr" in node)) return ALL;
    const e = node.A_Expr;
    const op = nameList(e.name).pop();
    if (e.lexpr === undefined || e.rexpr === undefined) return ALL;
    if (e.kind === "AEXPR_OP" && op !== undefined) {
      const leftWidth = this.termWidth(e.lexpr, isTarget);
      if (leftWidth !== null) return this.comparison(op, leftWidth, e.rexpr);
      const rightWidth = this.termWidth(e.rexpr, isTarget);
      if (rightWidth !== null) return this.comparison(FLIPPED[op] ?? "", rightWidth, e.lexpr);
      return ALL;
    }
    const width = this.termWidth(e.lexpr, isTarget);
    if (width === null) return ALL;
    const items = "List" in e.rexpr ? (e.rexpr.List.items ?? []) : [];
    if ((e.kind === "AEXPR_BETWEEN" || e.kind === "AEXPR_BETWEEN_SYM") && items.length === 2) {
      const [lo, hi] = items.map((i) => foldInstant(i, this.ctx));
      if (lo === undefined || hi === undefined || lo === null || hi === null) return ALL;
      const [a, b] = e.kind === "AEXPR_BETWEEN_SYM" && hi < lo ? [hi, lo] : [lo, hi];
      return range(a, b + (width > 0n ? width : 1n));
    }
    if (e.kind === "AEXPR_IN" && op === "=") {
      return items.reduce<RangeSet>((acc, item) => union(acc, this.comparison("=", width, item)), NONE);
    }
    return ALL;
  }

  /** `f(ts) op value` where f(ts) <= ts < f(ts) + width (width 0: f is the identity). */
  private comparison(op: string, width: bigint, valueNode: Node): RangeSet {
    const v = foldInstant(valueNode, this.ctx);
    if (v === null) return ALL;
    switch (op) {
      case ">=":
        return range(v, null);
      case ">":
        return range(v + 1n, null);
      case "<":
        return range(null, v + width);
      case "<=":
        return range(null, v + (width > 0n ? width : 1n));
      case "=":
        return range(v, v + (width > 0n ? width : 1n));
      default:
        return ALL;
    }
  }

  /**
   * Whether the expression is the target column, possibly under a flooring
   * function (time_bucket, date_trunc) or a cast to timestamptz; returns the
   * floor's maximum bucket width in microseconds (0 for the bare column).
   */
  private termWidth(node: Node, isTarget: (fields: string[]) => boolean): bigint | null {
    if ("ColumnRef" in node) {
      const fields = node.ColumnRef.fields ?? [];
      if (fields.some((f) => !("String" in f))) return null;
      return isTarget(nameList(fields)) ? 0n : null;
    }
    if ("TypeCast" in node) {
      const type = nameList(node.TypeCast.typeName?.names).pop();
      if (type !== "timestamptz" || node.TypeCast.arg === undefined) return null;
      return this.termWidth(node.TypeCast.arg, isTarget);
    }
    if (!("FuncCall" in node)) return null;
    const name = (nameList(node.FuncCall.funcname).pop() ?? "").toLowerCase();
    const [first, second, ...rest] = node.FuncCall.args ?? [];
    if (first === undefined || second === undefined) return null;
    const inner = this.termWidth(second, isTarget);
    if (inner === null) return null;
    const firstValue = fold(first, this.ctx);
    const text = firstValue?.type === "unknown" ? firstValue.text : null;
    if (name === "time_bucket") {
      const interval =
        firstValue?.type === "interval" ? firstValue.value : text === null ? null : parseIntervalText(text);
      if (interval === null) return null;
      const fixed = fixedWidthUs(interval);
      const width =
        fixed ?? BigInt(interval.months) * 31n * US_PER_DAY + BigInt(interval.days) * US_PER_DAY + interval.us;
      // A zoned or calendar bucket can be an hour longer across DST.
      const slack = fixed === null || rest.length > 0 || interval.days !== 0 ? ZONE_SLACK : 0n;
      return width <= 0n ? null : inner + width + slack;
    }
    if (name === "date_trunc" && text !== null && rest.length <= 1) {
      const width = TRUNC_WIDTH_US[truncUnit(text)];
      return width === undefined ? null : inner + width;
    }
    return null;
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

const FLIPPED: Readonly<Record<string, string>> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=" };

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

function truncUnit(text: string): string {
  const lower = text.toLowerCase();
  const aliases: Record<string, string> = {
    microsecond: "microseconds",
    us: "microseconds",
    millisecond: "milliseconds",
    ms: "milliseconds",
    seconds: "second",
    sec: "second",
    minutes: "minute",
    min: "minute",
    hours: "hour",
    days: "day",
    weeks: "week",
    months: "month",
    quarters: "quarter",
    years: "year",
  };
  return aliases[lower] ?? lower;
}

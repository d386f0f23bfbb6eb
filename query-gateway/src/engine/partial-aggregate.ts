/**
 * Splits a spanning aggregate query into per-tier partial aggregates and a
 * merge (architecture invariant 4): hot data can be far too big to move, but
 * count/sum/min/max/avg over GROUP BY keys (time buckets included) combine
 * exactly from per-tier partials. A pure function on the parse tree.
 *
 *   SELECT time_bucket('1 hour', ts) AS h, count(*), avg(bytes)
 *   FROM flows WHERE … GROUP BY 1 ORDER BY 2 DESC LIMIT 10
 * becomes, on each tier,
 *   SELECT time_bucket('1 hour', ts) AS g1, count(*) AS a1, sum(bytes) AS a2, count(bytes) AS a3
 *   FROM flows WHERE … GROUP BY 1
 * and, in DuckDB over both partial results (table __parts),
 *   SELECT g1 AS h, sum(a1)::int8 AS count, sum(a2)::float8 / nullif(sum(a3), 0) AS avg
 *   FROM __parts GROUP BY g1 ORDER BY 2 DESC LIMIT 10
 *
 * Anything else (DISTINCT aggregates, percentiles, window functions, joins,
 * subqueries, CTEs, set operations) returns null: the caller moves the hot
 * rows instead, within its row limit.
 */
import { FLOW_COLUMNS } from "@netflow/schema";
import type { Node } from "libpg-query";
import { isRecord, nameList } from "../sql/walk.ts";
import { postgresName } from "./column-names.ts";

export const PARTS_TABLE = "__parts";

export interface AggregateSplit {
  /** The per-tier partial aggregate (a SelectStmt over flows). */
  readonly partial: Node;
  /** The merge over PARTS_TABLE, for DuckDB. */
  readonly merge: Node;
}

const DECOMPOSABLE = new Set(["count", "sum", "min", "max", "avg"]);
/** Aggregates that cannot be merged from partials; seeing one means "not decomposable". */
const OTHER_AGGREGATES = new Set([
  "percentile_cont",
  "percentile_disc",
  "mode",
  "string_agg",
  "array_agg",
  "json_agg",
  "jsonb_agg",
  "json_object_agg",
  "jsonb_object_agg",
  "stddev",
  "stddev_pop",
  "stddev_samp",
  "variance",
  "var_pop",
  "var_samp",
  "bool_and",
  "bool_or",
  "every",
  "bit_and",
  "bit_or",
  "bit_xor",
  "corr",
  "covar_pop",
  "covar_samp",
  "regr_slope",
  "regr_intercept",
  "regr_count",
  "regr_r2",
  "regr_avgx",
  "regr_avgy",
  "regr_sxx",
  "regr_syy",
  "regr_sxy",
  "first",
  "last",
  "histogram",
  "approx_count_distinct",
  "range_agg",
  "xmlagg",
  "any_value",
]);
const FLOW_NAMES = new Set(FLOW_COLUMNS.map((c) => c.name));

class NotDecomposable extends Error {}

export function splitAggregate(stmt: Node): AggregateSplit | null {
  if (!("SelectStmt" in stmt)) return null;
  const s = stmt.SelectStmt as Record<string, unknown>;
  if (s.withClause !== undefined || (s.op !== undefined && s.op !== "SETOP_NONE")) return null;
  if (s.distinctClause !== undefined || s.windowClause !== undefined || s.valuesLists !== undefined) return null;
  const from = Array.isArray(s.fromClause) ? s.fromClause : [];
  const only = from[0];
  if (from.length !== 1 || !isRecord(only) || !isRecord(only.RangeVar)) return null;
  const rv = only.RangeVar;
  if (String(rv.relname).toLowerCase() !== "flows" || (rv.schemaname !== undefined && rv.schemaname !== "public"))
    return null;
  if (contains(s.whereClause, "SubLink")) return null;
  const targets = (Array.isArray(s.targetList) ? s.targetList : []).map((t) =>
    isRecord(t) && isRecord(t.ResTarget) ? t.ResTarget : null,
  );
  if (targets.some((t) => t === null || isStar(t.val))) return null;

  try {
    const groups = (Array.isArray(s.groupClause) ? s.groupClause : []).map((g) => resolveGroupItem(g, targets));
    const splitter = new Splitter(groups, rv.alias);
    const mergeTargets = targets.map((t) => ({
      ResTarget: { name: typeof t?.name === "string" ? t.name : postgresName(t?.val), val: splitter.replace(t?.val) },
    }));
    const having = s.havingClause === undefined ? undefined : splitter.replace(s.havingClause);
    const sort = (Array.isArray(s.sortClause) ? s.sortClause : []).map((item) => {
      if (!isRecord(item) || !isRecord(item.SortBy)) throw new NotDecomposable();
      const position = outputPosition(item.SortBy.node, targets);
      const node = position === null ? splitter.replace(item.SortBy.node, true) : intConst(position);
      return { SortBy: { ...item.SortBy, node } };
    });
    if (groups.length === 0 && splitter.partials.length === 0) return null;

    const partial = {
      SelectStmt: {
        targetList: [
          ...groups.map((g, i) => ({ ResTarget: { name: `g${i + 1}`, val: g } })),
          ...splitter.partials.map((p, i) => ({ ResTarget: { name: `a${i + 1}`, val: p } })),
        ],
        fromClause: from,
        ...(s.whereClause === undefined ? {} : { whereClause: s.whereClause }),
        ...(groups.length === 0 ? {} : { groupClause: groups.map((_, i) => intConst(i + 1)) }),
        limitOption: "LIMIT_OPTION_DEFAULT",
        op: "SETOP_NONE",
      },
    };
    const merge = {
      SelectStmt: {
        targetList: mergeTargets,
        fromClause: [{ RangeVar: { relname: PARTS_TABLE, inh: true, relpersistence: "p" } }],
        ...(groups.length === 0 ? {} : { groupClause: groups.map((_, i) => column(`g${i + 1}`)) }),
        ...(having === undefined ? {} : { havingClause: having }),
        ...(sort.length === 0 ? {} : { sortClause: sort }),
        ...(s.limitCount === undefined ? {} : { limitCount: s.limitCount }),
        ...(s.limitOffset === undefined ? {} : { limitOffset: s.limitOffset }),
        limitOption: s.limitOption ?? "LIMIT_OPTION_DEFAULT",
        op: "SETOP_NONE",
      },
    };
    return { partial: partial as Node, merge: merge as Node };
  } catch (error) {
    if (error instanceof NotDecomposable) return null;
    throw error;
  }
}

class Splitter {
  readonly partials: unknown[] = [];
  private readonly keys = new Map<string, number>();
  private readonly groupKeys: string[];

  constructor(
    groups: readonly unknown[],
    private readonly alias: unknown,
  ) {
    this.groupKeys = groups.map(shape);
  }

  /** The merge-side expression for an original expression. */
  replace(node: unknown, inSort = false): unknown {
    if (Array.isArray(node)) return node.map((n) => this.replace(n));
    if (!isRecord(node)) return node;
    // ORDER BY 2 names an output column, which the merge keeps in the same place.
    if (inSort && isRecord(node.A_Const)) return node;
    const group = this.groupKeys.indexOf(shape(node));
    if (group >= 0) return column(`g${group + 1}`);
    if (isRecord(node.FuncCall)) {
      const merged = this.aggregate(node.FuncCall);
      if (merged !== null) return merged;
    }
    if (isRecord(node.SubLink)) throw new NotDecomposable();
    if (isRecord(node.ColumnRef) && this.readsFlows(node.ColumnRef)) throw new NotDecomposable();
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) out[key] = this.replace(child);
    return out;
  }

  private readsFlows(ref: Record<string, unknown>): boolean {
    const fields = Array.isArray(ref.fields) ? ref.fields : [];
    const names = nameList(fields);
    const aliasName = isRecord(this.alias) ? this.alias.aliasname : "flows";
    if (names.length > 1) return names[names.length - 2] === aliasName || names[names.length - 2] === "flows";
    return FLOW_NAMES.has(names[0] ?? "");
  }

  /** Registers the partials of an aggregate call and returns its merge expression; null if not an aggregate. */
  private aggregate(call: Record<string, unknown>): unknown {
    const name = (nameList(call.funcname).pop() ?? "").toLowerCase();
    const special =
      call.agg_distinct === true ||
      call.agg_order !== undefined ||
      call.agg_within_group === true ||
      call.over !== undefined;
    if (special || OTHER_AGGREGATES.has(name)) throw new NotDecomposable();
    if (!DECOMPOSABLE.has(name)) return null;
    if (contains(call.args, "FuncCall") && containsAggregate(call.args)) throw new NotDecomposable();
    const filter = call.agg_filter === undefined ? {} : { agg_filter: call.agg_filter };
    switch (name) {
      case "count":
        return cast(func("sum", [this.partial(call)]), "int8");
      case "sum":
      case "min":
      case "max":
        return func(name, [this.partial(call)]);
      default: {
        // avg = sum / count over the non-null values.
        const sum = this.partial({ ...call, funcname: funcName("sum"), ...filter });
        const count = this.partial({ ...call, funcname: funcName("count"), ...filter });
        return {
          A_Expr: {
            kind: "AEXPR_OP",
            name: [{ String: { sval: "/" } }],
            lexpr: cast(func("sum", [sum]), "float8"),
            rexpr: func("nullif", [func("sum", [count]), intConst(0)]),
          },
        };
      }
    }
  }

  /** Column reference to the partial `call` (deduplicated). */
  private partial(call: Record<string, unknown>): unknown {
    const node = { FuncCall: call };
    const key = shape(node);
    let index = this.keys.get(key);
    if (index === undefined) {
      index = this.partials.length;
      this.partials.push(node);
      this.keys.set(key, index);
    }
    return column(`a${index + 1}`);
  }
}

/** GROUP BY 1 and GROUP BY <output alias> name an output expression; anything else is an input expression. */
function resolveGroupItem(item: unknown, targets: readonly (Record<string, unknown> | null)[]): unknown {
  if (!isRecord(item)) throw new NotDecomposable();
  if (isRecord(item.GroupingSet)) throw new NotDecomposable();
  if (isRecord(item.A_Const) && isRecord(item.A_Const.ival)) {
    const position = Number(item.A_Const.ival.ival ?? 0);
    const target = targets[position - 1];
    if (target === undefined || target === null) throw new NotDecomposable();
    return target.val;
  }
  // Postgres prefers an input column over an output name in GROUP BY (the reverse of ORDER BY).
  if (!(isRecord(item.ColumnRef) && FLOW_NAMES.has(bareName(item) ?? ""))) {
    const position = outputPosition(item, targets);
    if (position !== null) {
      const val = targets[position - 1]?.val;
      if (containsAggregate(val)) throw new NotDecomposable();
      return val;
    }
  }
  if (containsAggregate(item)) throw new NotDecomposable();
  return item;
}

/**
 * The 1-based output column a bare name refers to, as Postgres's
 * findTargetlistEntrySQL92 resolves it: against the output names, explicit
 * (`AS bytes`) or implicit (`sum(bytes)` is "sum"). In ORDER BY an output name
 * wins over an input column of the same name (`sum(bytes) AS bytes … ORDER BY
 * bytes` sorts by the sum); anything but a bare name is an input expression.
 * Several outputs of that name with different expressions are ambiguous
 * (Postgres refuses them): not decomposed, the engines give the error.
 */
function outputPosition(node: unknown, targets: readonly (Record<string, unknown> | null)[]): number | null {
  const name = bareName(node);
  if (name === null) return null;
  const matches = targets.flatMap((t, i) =>
    t !== null && (typeof t.name === "string" ? t.name : postgresName(t.val)) === name ? [i] : [],
  );
  const first = matches[0];
  if (first === undefined) return null;
  const expr = shape(targets[first]?.val);
  if (matches.some((i) => shape(targets[i]?.val) !== expr)) throw new NotDecomposable();
  return first + 1;
}

/** The name of an unqualified column reference (`bytes`, not `f.bytes`); null for anything else. */
function bareName(node: unknown): string | null {
  if (!isRecord(node) || !isRecord(node.ColumnRef)) return null;
  const fields = Array.isArray(node.ColumnRef.fields) ? node.ColumnRef.fields : [];
  if (fields.length !== 1) return null;
  const names = nameList(fields);
  return names.length === 1 ? (names[0] ?? null) : null;
}

function containsAggregate(value: unknown): boolean {
  let found = false;
  const visit = (v: unknown): void => {
    if (found) return;
    if (Array.isArray(v)) v.forEach(visit);
    else if (isRecord(v)) {
      if (isRecord(v.FuncCall)) {
        const name = (nameList(v.FuncCall.funcname).pop() ?? "").toLowerCase();
        if (DECOMPOSABLE.has(name) || OTHER_AGGREGATES.has(name)) found = true;
      }
      Object.values(v).forEach(visit);
    }
  };
  visit(value);
  return found;
}

function contains(value: unknown, nodeType: string): boolean {
  if (Array.isArray(value)) return value.some((v) => contains(v, nodeType));
  if (!isRecord(value)) return false;
  return Object.entries(value).some(([key, child]) => key === nodeType || contains(child, nodeType));
}

/** A node's structure without source locations, for equality. */
function shape(node: unknown): string {
  return JSON.stringify(node, (key, value: unknown) => (key === "location" ? undefined : value));
}

function isStar(val: unknown): boolean {
  return isRecord(val) && isRecord(val.ColumnRef) && contains(val.ColumnRef.fields, "A_Star");
}

function column(name: string): unknown {
  return { ColumnRef: { fields: [{ String: { sval: name } }] } };
}

function funcName(name: string): unknown[] {
  return [{ String: { sval: name } }];
}

function func(name: string, args: unknown[]): unknown {
  return { FuncCall: { funcname: funcName(name), args, funcformat: "COERCE_EXPLICIT_CALL" } };
}

function cast(arg: unknown, type: string): unknown {
  return { TypeCast: { arg, typeName: { names: [{ String: { sval: type } }], typemod: -1 } } };
}

function intConst(value: number): unknown {
  return { A_Const: { ival: { ival: value } } };
}

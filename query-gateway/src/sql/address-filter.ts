/**
 * Address predicates of a query as an Iceberg scan filter, so the cold scan
 * skips data files whose address-column bounds exclude every matching row
 * (the 16-byte encoding makes a CIDR one byte range; see inet.ts).
 *
 * Pruning must never drop a file holding a row that could reach the result,
 * so a predicate counts only where it filters `flows` rows themselves: a
 * top-level conjunct (or an OR of such) of the WHERE clause of a SELECT whose
 * FROM list holds that `flows` reference, directly or inside joins. A row
 * failing such a conjunct is dropped (an outer join that loses the row
 * null-extends it, and the conjunct then fails on NULL). Every `flows`
 * reference of the statement needs such a filter, since all of them read the
 * same file list; the result is their OR. Anything else: null (no pruning).
 * A filter is a superset of the matching addresses, never a subset.
 */
import { type Filter, inCidr, or } from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import type { Node } from "libpg-query";
import { parseInet } from "./inet.ts";
import { isRecord, nameList, walk } from "./walk.ts";

const INET_COLUMNS = new Set(FLOW_COLUMNS.filter((c) => c.pgType === "inet").map((c) => c.name));
const CONTAINED_BY = new Set(["<<", "<<=", "="]);
/** `lit op col` means `col mirrored(op) lit`. */
const MIRRORED: Readonly<Record<string, string>> = { ">>": "<<", ">>=": "<<=", "=": "=" };

/** The scan filter implied by the statement's address predicates, or null when it cannot prune. */
export function addressFilter(stmt: Node): Filter | null {
  let flowsRefs = 0;
  let shadowed = false;
  walk(stmt, (key, payload) => {
    if (isRelation(payload, "flows") && key === "RangeVar") flowsRefs++;
    if (key === "CommonTableExpr" && String(payload.ctename).toLowerCase() === "flows") shadowed = true;
  });
  if (flowsRefs === 0 || shadowed) return null;
  const filters: Filter[] = [];
  let covered = 0;
  let unknown = false;
  walk(stmt, (key, payload) => {
    // Set operations keep their branches inline under larg/rarg.
    const select = key === "SelectStmt" || key === "larg" || key === "rarg";
    if (!select || !Array.isArray(payload.fromClause)) return;
    const aliases: string[] = [];
    for (const item of payload.fromClause) collectFlows(item, aliases);
    for (const alias of aliases) {
      covered++;
      const filter = whereFilter(payload.whereClause, { alias, unqualified: aliases.length === 1 });
      if (filter === null) unknown = true;
      else filters.push(filter);
    }
  });
  // A reference in a place we did not look at (e.g. a FROM-less construct) reads unfiltered.
  if (unknown || covered !== flowsRefs || filters.length === 0) return null;
  return filters.length === 1 ? (filters[0] ?? null) : or(...filters);
}

function isRelation(payload: Record<string, unknown>, name: string): boolean {
  const rel = String(payload.relname ?? "").toLowerCase();
  const schema = payload.schemaname === undefined ? "public" : String(payload.schemaname).toLowerCase();
  return rel === name && schema === "public";
}

/** Aliases of the `flows` references of a FROM item (through joins, not into subqueries). */
function collectFlows(item: unknown, out: string[]): void {
  if (!isRecord(item)) return;
  if (isRecord(item.RangeVar) && isRelation(item.RangeVar, "flows")) {
    const alias = isRecord(item.RangeVar.alias) ? item.RangeVar.alias.aliasname : undefined;
    out.push(typeof alias === "string" ? alias : "flows");
  } else if (isRecord(item.JoinExpr)) {
    collectFlows(item.JoinExpr.larg, out);
    collectFlows(item.JoinExpr.rarg, out);
  }
}

interface Scope {
  readonly alias: string;
  /** Whether a bare column name means this reference (the only `flows` in its FROM). */
  readonly unqualified: boolean;
}

function whereFilter(node: unknown, scope: Scope): Filter | null {
  if (!isRecord(node)) return null;
  if (isRecord(node.BoolExpr)) {
    const args = Array.isArray(node.BoolExpr.args) ? node.BoolExpr.args : [];
    const parts = args.map((a) => whereFilter(a, scope));
    if (node.BoolExpr.boolop === "AND_EXPR") {
      const known = parts.filter((p): p is Filter => p !== null);
      if (known.length === 0) return null;
      return known.length === 1 ? (known[0] ?? null) : { op: "and", filters: known };
    }
    if (node.BoolExpr.boolop === "OR_EXPR" && parts.length > 0 && parts.every((p) => p !== null)) {
      return or(...(parts as Filter[]));
    }
    return null;
  }
  if (!isRecord(node.A_Expr)) return null;
  const expr = node.A_Expr;
  const op = nameList(expr.name).pop() ?? "";
  if (expr.kind === "AEXPR_IN" && op === "=") {
    const column = flowColumn(expr.lexpr, scope);
    const items = isRecord(expr.rexpr) && isRecord(expr.rexpr.List) ? expr.rexpr.List.items : undefined;
    if (column === null || !Array.isArray(items) || items.length === 0) return null;
    const parts = items.map((item) => cidrFilter(column, addressLiteral(item)));
    return parts.every((p) => p !== null) ? or(...(parts as Filter[])) : null;
  }
  if (expr.kind !== "AEXPR_OP") return null;
  const left = flowColumn(expr.lexpr, scope);
  if (left !== null && CONTAINED_BY.has(op)) return cidrFilter(left, addressLiteral(expr.rexpr));
  const right = flowColumn(expr.rexpr, scope);
  if (right !== null && MIRRORED[op] !== undefined) return cidrFilter(right, addressLiteral(expr.lexpr));
  return null;
}

function cidrFilter(column: string, text: string | null): Filter | null {
  if (text === null || parseInet(text) === null) return null;
  try {
    return inCidr(column, text.trim());
  } catch {
    return null;
  }
}

/** The address column a column reference names in this scope, or null. */
function flowColumn(node: unknown, scope: Scope): string | null {
  if (!isRecord(node) || !isRecord(node.ColumnRef)) return null;
  const fields = nameList(node.ColumnRef.fields);
  const column = fields[fields.length - 1];
  if (column === undefined || !INET_COLUMNS.has(column)) return null;
  if (fields.length === 1) return scope.unqualified ? column : null;
  return fields.length === 2 && fields[0] === scope.alias ? column : null;
}

/** A string literal, bare or cast to inet/cidr. */
function addressLiteral(node: unknown): string | null {
  if (!isRecord(node)) return null;
  if (isRecord(node.TypeCast)) {
    const type = nameList(isRecord(node.TypeCast.typeName) ? node.TypeCast.typeName.names : undefined).pop();
    if (type !== "inet" && type !== "cidr") return null;
    return addressLiteral(node.TypeCast.arg);
  }
  if (isRecord(node.A_Const) && isRecord(node.A_Const.sval) && typeof node.A_Const.sval.sval === "string") {
    return node.A_Const.sval.sval;
  }
  return null;
}

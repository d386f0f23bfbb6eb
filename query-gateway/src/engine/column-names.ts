/**
 * Output column names as Postgres gives them. An unnamed output column is
 * named by Postgres after its expression (count(*) → "count"), by DuckDB after
 * the expression's text ("count_star()"); so before a query goes to DuckDB its
 * top-level output columns get explicit Postgres names, and the answer's
 * column names do not depend on the route.
 */
import type { Node } from "libpg-query";
import { isRecord, nameList } from "../sql/walk.ts";

/** Postgres's FigureColname for the common expression forms. */
export function postgresName(node: unknown): string {
  if (!isRecord(node)) return "?column?";
  if (isRecord(node.ColumnRef)) {
    const fields = Array.isArray(node.ColumnRef.fields) ? node.ColumnRef.fields : [];
    return nameList(fields).pop() ?? "?column?";
  }
  if (isRecord(node.FuncCall)) return nameList(node.FuncCall.funcname).pop() ?? "?column?";
  if (isRecord(node.TypeCast)) {
    const inner = postgresName(node.TypeCast.arg);
    if (inner !== "?column?") return inner;
    const type = isRecord(node.TypeCast.typeName) ? nameList(node.TypeCast.typeName.names).pop() : undefined;
    return type === undefined ? "?column?" : (TYPE_NAMES[type] ?? type);
  }
  if (isRecord(node.CaseExpr)) return "case";
  if (isRecord(node.CoalesceExpr)) return "coalesce";
  if (isRecord(node.NullIfExpr)) return "nullif";
  if (isRecord(node.MinMaxExpr)) return node.MinMaxExpr.op === "IS_GREATEST" ? "greatest" : "least";
  if (isRecord(node.SubLink)) {
    if (node.SubLink.subLinkType === "EXISTS_SUBLINK") return "exists";
    if (node.SubLink.subLinkType === "ARRAY_SUBLINK") return "array";
    if (node.SubLink.subLinkType === "EXPR_SUBLINK" && isRecord(node.SubLink.subselect)) {
      const select = node.SubLink.subselect.SelectStmt;
      const first = isRecord(select) && Array.isArray(select.targetList) ? select.targetList[0] : undefined;
      if (isRecord(first) && isRecord(first.ResTarget)) {
        return typeof first.ResTarget.name === "string" ? first.ResTarget.name : postgresName(first.ResTarget.val);
      }
    }
    return "?column?";
  }
  if (isRecord(node.SQLValueFunction)) {
    const op = String(node.SQLValueFunction.op);
    return SQL_VALUE_FUNCTIONS[op] ?? "?column?";
  }
  return "?column?";
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  int8: "int8",
  int4: "int4",
  float8: "float8",
  numeric: "numeric",
  timestamptz: "timestamptz",
  text: "text",
};

const SQL_VALUE_FUNCTIONS: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_TIMESTAMP: "current_timestamp",
  SVFOP_CURRENT_TIMESTAMP_N: "current_timestamp",
  SVFOP_LOCALTIMESTAMP: "localtimestamp",
  SVFOP_CURRENT_DATE: "current_date",
  SVFOP_CURRENT_USER: "current_user",
};

/** A copy of the statement whose top-level output columns all carry explicit names. */
export function withPostgresNames(stmt: Node): Node {
  const copy = structuredClone(stmt);
  const query = "ExplainStmt" in copy ? copy.ExplainStmt.query : copy;
  if (query !== undefined && "SelectStmt" in query) nameSelect(query.SelectStmt as Record<string, unknown>);
  return copy;
}

function nameSelect(select: Record<string, unknown>): void {
  // A set operation takes its column names from its leftmost branch.
  if (select.op !== undefined && select.op !== "SETOP_NONE") {
    if (isRecord(select.larg)) nameSelect(select.larg);
    return;
  }
  if (!Array.isArray(select.targetList)) return;
  for (const target of select.targetList) {
    if (!isRecord(target) || !isRecord(target.ResTarget)) continue;
    const rt = target.ResTarget;
    if (rt.name !== undefined || isStar(rt.val)) continue;
    rt.name = postgresName(rt.val);
  }
}

function isStar(val: unknown): boolean {
  return (
    isRecord(val) &&
    isRecord(val.ColumnRef) &&
    Array.isArray(val.ColumnRef.fields) &&
    val.ColumnRef.fields.some((f) => isRecord(f) && "A_Star" in f)
  );
}

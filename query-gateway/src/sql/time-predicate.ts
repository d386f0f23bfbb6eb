/**
 * The ts ranges a WHERE / ON predicate allows for one target column: AND
 * intersects, OR unites, comparisons (<, <=, >, >=, =, BETWEEN, IN) against
 * foldable time values bound it, and anything else — NOT included — leaves it
 * unbounded. A comparison may also be on a floor of the column (time_bucket,
 * date_trunc), which bounds the column within one bucket width.
 */
import type { Node } from "libpg-query";
import { parseIntervalText } from "./time-literal.ts";
import { ALL, intersect, NONE, type RangeSet, range, union } from "./time-range.ts";
import { fixedWidthUs, fold, foldInstant, type TimeContext } from "./time-value.ts";
import { nameList } from "./walk.ts";

/** Whether a column reference (its name parts) is the column being bounded. */
export type IsTarget = (fields: string[]) => boolean;

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

const FLIPPED: Readonly<Record<string, string>> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=" };

/** The values of the target column for which the predicate can be true (a superset). */
export function predicateRanges(node: Node, isTarget: IsTarget, ctx: TimeContext): RangeSet {
  if ("BoolExpr" in node) {
    const args = node.BoolExpr.args ?? [];
    if (node.BoolExpr.boolop === "AND_EXPR") {
      return args.reduce<RangeSet>((acc, a) => intersect(acc, predicateRanges(a, isTarget, ctx)), ALL);
    }
    if (node.BoolExpr.boolop === "OR_EXPR") {
      return args.reduce<RangeSet>((acc, a) => union(acc, predicateRanges(a, isTarget, ctx)), NONE);
    }
    return ALL;
  }
  if (!("A_Expr" in node)) return ALL;
  const e = node.A_Expr;
  const op = nameList(e.name).pop();
  if (e.lexpr === undefined || e.rexpr === undefined) return ALL;
  if (e.kind === "AEXPR_OP" && op !== undefined) {
    const leftWidth = termWidth(e.lexpr, isTarget, ctx);
    if (leftWidth !== null) return comparison(op, leftWidth, e.rexpr, ctx);
    const rightWidth = termWidth(e.rexpr, isTarget, ctx);
    if (rightWidth !== null) return comparison(FLIPPED[op] ?? "", rightWidth, e.lexpr, ctx);
    return ALL;
  }
  const width = termWidth(e.lexpr, isTarget, ctx);
  if (width === null) return ALL;
  const items = "List" in e.rexpr ? (e.rexpr.List.items ?? []) : [];
  if ((e.kind === "AEXPR_BETWEEN" || e.kind === "AEXPR_BETWEEN_SYM") && items.length === 2) {
    const [lo, hi] = items.map((i) => foldInstant(i, ctx));
    if (lo === undefined || hi === undefined || lo === null || hi === null) return ALL;
    const [a, b] = e.kind === "AEXPR_BETWEEN_SYM" && hi < lo ? [hi, lo] : [lo, hi];
    return range(a, b + (width > 0n ? width : 1n));
  }
  if (e.kind === "AEXPR_IN" && op === "=") {
    return items.reduce<RangeSet>((acc, item) => union(acc, comparison("=", width, item, ctx)), NONE);
  }
  return ALL;
}

/** `f(ts) op value` where f(ts) <= ts < f(ts) + width (width 0: f is the identity). */
function comparison(op: string, width: bigint, valueNode: Node, ctx: TimeContext): RangeSet {
  const v = foldInstant(valueNode, ctx);
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
function termWidth(node: Node, isTarget: IsTarget, ctx: TimeContext): bigint | null {
  if ("ColumnRef" in node) {
    const fields = node.ColumnRef.fields ?? [];
    if (fields.some((f) => !("String" in f))) return null;
    return isTarget(nameList(fields)) ? 0n : null;
  }
  if ("TypeCast" in node) {
    const type = nameList(node.TypeCast.typeName?.names).pop();
    if (type !== "timestamptz" || node.TypeCast.arg === undefined) return null;
    return termWidth(node.TypeCast.arg, isTarget, ctx);
  }
  if (!("FuncCall" in node)) return null;
  const name = (nameList(node.FuncCall.funcname).pop() ?? "").toLowerCase();
  const [first, second, ...rest] = node.FuncCall.args ?? [];
  if (first === undefined || second === undefined) return null;
  const inner = termWidth(second, isTarget, ctx);
  if (inner === null) return null;
  const firstValue = fold(first, ctx);
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

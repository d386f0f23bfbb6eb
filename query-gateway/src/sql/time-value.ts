/**
 * Constant folding of the time expressions people compare `ts` with:
 * literals, casts, now() and friends, ± intervals, date_trunc, time_bucket,
 * to_timestamp, AT TIME ZONE. Semantics follow Postgres with the session
 * TimeZone; anything else folds to null ("not understood"), which the bounds
 * extraction treats as unbounded.
 */
import type { Node } from "libpg-query";
import {
  canonicalUnit,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  type IntervalValue,
  parseIntervalText,
  parseTimestampText,
} from "./time-literal.ts";
import { floorDiv, fromLocal, toLocal } from "./timezone.ts";
import { nameList } from "./walk.ts";

export interface TimeContext {
  /** The query's `now()` in epoch microseconds. */
  readonly now: bigint;
  /** The session TimeZone (IANA name), used for zone-less literals and calendar arithmetic. */
  readonly timeZone: string;
  /** Values of $1, $2, … in text form (as the extended query protocol sends them); null is SQL NULL. */
  readonly params?: readonly (string | null)[];
}

/** A folded value. `timestamp` and `date` hold wall-clock microseconds encoded as if UTC. */
export type TimeValue =
  | { readonly type: "timestamptz"; readonly us: bigint }
  | { readonly type: "timestamp"; readonly us: bigint }
  | { readonly type: "date"; readonly us: bigint }
  | { readonly type: "interval"; readonly value: IntervalValue }
  | { readonly type: "number"; readonly value: number }
  /** A quoted literal whose type Postgres resolves from context. */
  | { readonly type: "unknown"; readonly text: string };

const US_PER_SECOND = 1_000_000n;
const US_PER_DAY = 86_400n * US_PER_SECOND;
/** TimescaleDB's default time_bucket origin: Monday 2000-01-03 00:00 UTC. */
const TIME_BUCKET_ORIGIN_US = 946_857_600n * US_PER_SECOND;

/** Folds an expression to an instant, coercing as a comparison with a timestamptz column would. */
export function foldInstant(node: Node, ctx: TimeContext): bigint | null {
  const value = fold(node, ctx);
  return value === null ? null : toInstant(value, ctx);
}

export function toInstant(value: TimeValue, ctx: TimeContext): bigint | null {
  switch (value.type) {
    case "timestamptz":
      return value.us;
    case "timestamp":
    case "date":
      return fromLocal(ctx.timeZone, value.us);
    case "unknown":
      return parseTimestamptz(value.text, ctx);
    default:
      return null;
  }
}

export function fold(node: Node, ctx: TimeContext): TimeValue | null {
  if ("A_Const" in node) {
    const c = node.A_Const;
    if (c.sval !== undefined) return { type: "unknown", text: c.sval.sval ?? "" };
    if (c.ival !== undefined) return { type: "number", value: c.ival.ival ?? 0 };
    if (c.fval !== undefined) return { type: "number", value: Number(c.fval.fval) };
    return null;
  }
  if ("ParamRef" in node) {
    const text = ctx.params?.[(node.ParamRef.number ?? 0) - 1];
    return typeof text === "string" ? { type: "unknown", text } : null;
  }
  if ("TypeCast" in node) {
    const { arg, typeName } = node.TypeCast;
    if (arg === undefined || typeName === undefined) return null;
    const inner = fold(arg, ctx);
    if (inner === null) return null;
    const type = (nameList(typeName.names).pop() ?? "").toLowerCase();
    return cast(inner, type, (typeName.typmods ?? []).length > 0, ctx);
  }
  if ("SQLValueFunction" in node) {
    switch (node.SQLValueFunction.op) {
      case "SVFOP_CURRENT_TIMESTAMP":
      case "SVFOP_CURRENT_TIMESTAMP_N":
        return { type: "timestamptz", us: ctx.now };
      case "SVFOP_LOCALTIMESTAMP":
      case "SVFOP_LOCALTIMESTAMP_N": {
        const local = toLocal(ctx.timeZone, ctx.now);
        return local === null ? null : { type: "timestamp", us: local };
      }
      case "SVFOP_CURRENT_DATE": {
        const local = toLocal(ctx.timeZone, ctx.now);
        return local === null ? null : { type: "date", us: floorDiv(local, US_PER_DAY) * US_PER_DAY };
      }
      default:
        return null;
    }
  }
  if ("A_Expr" in node) {
    const e = node.A_Expr;
    if (e.kind !== "AEXPR_OP" || e.lexpr === undefined || e.rexpr === undefined) return null;
    const op = nameList(e.name).pop();
    const left = fold(e.lexpr, ctx);
    const right = fold(e.rexpr, ctx);
    if (left === null || right === null) return null;
    return arithmetic(op, left, right, ctx);
  }
  if ("FuncCall" in node) return foldFunction(node.FuncCall.funcname, node.FuncCall.args ?? [], ctx);
  return null;
}

function cast(value: TimeValue, type: string, hasTypmods: boolean, ctx: TimeContext): TimeValue | null {
  switch (type) {
    case "timestamptz": {
      const us = toInstant(value, ctx);
      return us === null ? null : { type: "timestamptz", us };
    }
    case "timestamp": {
      if (value.type === "timestamp") return value;
      if (value.type === "date") return { type: "timestamp", us: value.us };
      if (value.type === "timestamptz") {
        const local = toLocal(ctx.timeZone, value.us);
        return local === null ? null : { type: "timestamp", us: local };
      }
      if (value.type === "unknown") {
        const local = parseLocal(value.text, ctx);
        return local === null ? null : { type: "timestamp", us: local };
      }
      return null;
    }
    case "date": {
      const local =
        value.type === "unknown"
          ? parseLocal(value.text, ctx)
          : value.type === "timestamptz"
            ? toLocal(ctx.timeZone, value.us)
            : value.type === "timestamp" || value.type === "date"
              ? value.us
              : null;
      return local === null ? null : { type: "date", us: floorDiv(local, US_PER_DAY) * US_PER_DAY };
    }
    case "interval": {
      if (value.type === "interval") return value;
      // interval '7' day: the unit lives in the typmod, which we do not decode.
      if (value.type !== "unknown" || (hasTypmods && /^\s*[+-]?[\d.]+\s*$/.test(value.text))) return null;
      const parsed = parseIntervalText(value.text);
      return parsed === null ? null : { type: "interval", value: parsed };
    }
    case "text":
    case "varchar":
      return value.type === "unknown" ? value : null;
    case "int2":
    case "int4":
    case "int8":
    case "numeric":
    case "float4":
    case "float8":
      return value.type === "number"
        ? value
        : value.type === "unknown" && value.text.trim() !== "" && Number.isFinite(Number(value.text))
          ? { type: "number", value: Number(value.text) }
          : null;
    default:
      return null;
  }
}

function arithmetic(op: string | undefined, left: TimeValue, right: TimeValue, ctx: TimeContext): TimeValue | null {
  const asInterval = (v: TimeValue): IntervalValue | null =>
    v.type === "interval" ? v.value : v.type === "unknown" ? parseIntervalText(v.text) : null;
  if (op === "+" || op === "-") {
    const sign = op === "-" ? -1 : 1;
    if (left.type === "timestamptz" || left.type === "timestamp" || left.type === "date") {
      if (left.type === "date" && right.type === "number" && Number.isInteger(right.value)) {
        return { type: "date", us: left.us + BigInt(sign * right.value) * US_PER_DAY };
      }
      const interval = asInterval(right);
      if (interval === null) return null;
      const signed = scaleInterval(interval, sign);
      if (left.type === "timestamptz") {
        const us = addToInstant(left.us, signed, ctx.timeZone);
        return us === null ? null : { type: "timestamptz", us };
      }
      return { type: "timestamp", us: addToLocal(left.us, signed) };
    }
    if (op === "+" && left.type === "interval" && right.type === "timestamptz") {
      const us = addToInstant(right.us, left.value, ctx.timeZone);
      return us === null ? null : { type: "timestamptz", us };
    }
    if (left.type === "interval" && right.type === "interval") {
      return { type: "interval", value: addIntervals(left.value, scaleInterval(right.value, sign)) };
    }
    if (left.type === "number" && right.type === "number")
      return { type: "number", value: left.value + sign * right.value };
    return null;
  }
  if (op === "*") {
    if (left.type === "number" && right.type === "interval")
      return { type: "interval", value: scaleInterval(right.value, left.value) };
    if (left.type === "interval" && right.type === "number")
      return { type: "interval", value: scaleInterval(left.value, right.value) };
    if (left.type === "number" && right.type === "number") return { type: "number", value: left.value * right.value };
  }
  if (op === "/" && left.type === "number" && right.type === "number" && right.value !== 0) {
    return { type: "number", value: left.value / right.value };
  }
  return null;
}

function foldFunction(funcname: Node[] | undefined, args: Node[], ctx: TimeContext): TimeValue | null {
  const name = (nameList(funcname).pop() ?? "").toLowerCase();
  switch (name) {
    case "now":
    case "transaction_timestamp":
      return args.length === 0 ? { type: "timestamptz", us: ctx.now } : null;
    case "to_timestamp": {
      if (args.length !== 1 || args[0] === undefined) return null;
      const seconds = fold(args[0], ctx);
      if (seconds === null || seconds.type !== "number" || !Number.isFinite(seconds.value)) return null;
      return { type: "timestamptz", us: BigInt(Math.round(seconds.value * 1e6)) };
    }
    case "date_trunc": {
      const [unitNode, sourceNode, zoneNode] = args;
      if (unitNode === undefined || sourceNode === undefined || args.length > 3) return null;
      const unit = textOf(fold(unitNode, ctx));
      const source = fold(sourceNode, ctx);
      const zone = zoneNode === undefined ? ctx.timeZone : textOf(fold(zoneNode, ctx));
      if (unit === null || source === null || zone === null) return null;
      if (source.type === "timestamp") {
        const local = truncateLocal(source.us, unit);
        return local === null ? null : { type: "timestamp", us: local };
      }
      const instant = toInstant(source, ctx);
      if (instant === null) return null;
      const us = truncateInstant(instant, unit, zone);
      return us === null ? null : { type: "timestamptz", us };
    }
    case "time_bucket": {
      const [widthNode, sourceNode] = args;
      if (widthNode === undefined || sourceNode === undefined || args.length !== 2) return null;
      const width = fold(widthNode, ctx);
      const interval =
        width === null
          ? null
          : width.type === "interval"
            ? width.value
            : width.type === "unknown"
              ? parseIntervalText(width.text)
              : null;
      const source = fold(sourceNode, ctx);
      const instant = source === null ? null : toInstant(source, ctx);
      const w = interval === null ? null : fixedWidthUs(interval);
      if (instant === null || w === null || w <= 0n) return null;
      return { type: "timestamptz", us: floorDiv(instant - TIME_BUCKET_ORIGIN_US, w) * w + TIME_BUCKET_ORIGIN_US };
    }
    case "timezone": {
      // x AT TIME ZONE 'zone' parses as timezone('zone', x).
      const [zoneNode, sourceNode] = args;
      if (zoneNode === undefined || sourceNode === undefined) return null;
      const zone = textOf(fold(zoneNode, ctx));
      const source = fold(sourceNode, ctx);
      if (zone === null || source === null) return null;
      if (source.type === "timestamp") {
        const us = fromLocal(zone, source.us);
        return us === null ? null : { type: "timestamptz", us };
      }
      const instant = toInstant(source, ctx);
      const local = instant === null ? null : toLocal(zone, instant);
      return local === null ? null : { type: "timestamp", us: local };
    }
    default:
      return null;
  }
}

function textOf(value: TimeValue | null): string | null {
  return value !== null && value.type === "unknown" ? value.text : null;
}

/** A zone-less or zoned timestamptz literal, read like Postgres does. */
function parseTimestamptz(text: string, ctx: TimeContext): bigint | null {
  const parsed = parseTimestampText(text);
  if (parsed === null) return null;
  if (typeof parsed === "string") {
    if (parsed === "now") return ctx.now;
    if (parsed === "epoch") return 0n;
    const local = toLocal(ctx.timeZone, ctx.now);
    if (local === null) return null;
    const today = floorDiv(local, US_PER_DAY) * US_PER_DAY;
    const shift = parsed === "tomorrow" ? 1n : parsed === "yesterday" ? -1n : 0n;
    return fromLocal(ctx.timeZone, today + shift * US_PER_DAY);
  }
  if (parsed.zone === null) return fromLocal(ctx.timeZone, parsed.localUs);
  if ("offsetSeconds" in parsed.zone) return parsed.localUs - BigInt(parsed.zone.offsetSeconds) * US_PER_SECOND;
  return fromLocal(parsed.zone.name, parsed.localUs);
}

/** A timestamp-without-zone literal: any zone in the text is ignored, as Postgres does. */
function parseLocal(text: string, ctx: TimeContext): bigint | null {
  const parsed = parseTimestampText(text);
  if (parsed === null) return null;
  if (typeof parsed !== "string") return parsed.localUs;
  const instant = parseTimestamptz(text, ctx);
  return instant === null ? null : toLocal(ctx.timeZone, instant);
}

function scaleInterval(i: IntervalValue, factor: number): IntervalValue {
  // Fractional months and days cascade down as in Postgres (interval_mul).
  const months = i.months * factor;
  const wholeMonths = Math.trunc(months);
  const days = i.days * factor + (months - wholeMonths) * 30;
  const wholeDays = Math.trunc(days);
  const us = Number(i.us) * factor + (days - wholeDays) * 8.64e10;
  return { months: wholeMonths, days: wholeDays, us: BigInt(Math.round(us)) };
}

function addIntervals(a: IntervalValue, b: IntervalValue): IntervalValue {
  return { months: a.months + b.months, days: a.days + b.days, us: a.us + b.us };
}

/** Fixed length of an interval in microseconds, or null when it has months (calendar-dependent). */
export function fixedWidthUs(i: IntervalValue): bigint | null {
  if (i.months !== 0) return null;
  return BigInt(i.days) * US_PER_DAY + i.us;
}

/** Adds months and days on the wall clock (clamping the day of month), then the time part. */
function addToLocal(localUs: bigint, i: IntervalValue): bigint {
  let us = localUs;
  if (i.months !== 0) {
    const days = floorDiv(us, US_PER_DAY);
    const timeOfDay = us - days * US_PER_DAY;
    const civil = civilFromDays(days);
    const total = civil.year * 12 + (civil.month - 1) + i.months;
    const year = Math.floor(total / 12);
    const month = total - year * 12 + 1;
    const day = Math.min(civil.day, daysInMonth(year, month));
    us = daysFromCivil(year, month, day) * US_PER_DAY + timeOfDay;
  }
  return us + BigInt(i.days) * US_PER_DAY;
}

/** timestamptz + interval: months and days in the session zone (DST-aware), then the exact time part. */
export function addToInstant(instant: bigint, i: IntervalValue, zone: string): bigint | null {
  let us = instant;
  if (i.months !== 0 || i.days !== 0) {
    const local = toLocal(zone, us);
    if (local === null) return null;
    const moved = fromLocal(zone, addToLocal(local, { months: i.months, days: i.days, us: 0n }));
    if (moved === null) return null;
    us = moved;
  }
  return us + i.us;
}

const FIXED_UNITS_US: Readonly<Record<string, bigint>> = {
  microsecond: 1n,
  millisecond: 1000n,
  second: US_PER_SECOND,
  minute: 60n * US_PER_SECOND,
  hour: 3600n * US_PER_SECOND,
  day: US_PER_DAY,
};

/** date_trunc on a wall-clock value. */
export function truncateLocal(localUs: bigint, unitText: string): bigint | null {
  const unit = unitText.toLowerCase() === "quarter" ? "quarter" : canonicalUnit(unitText);
  if (unit === undefined) return null;
  const fixed = FIXED_UNITS_US[unit];
  if (fixed !== undefined) return floorDiv(localUs, fixed) * fixed;
  const days = floorDiv(localUs, US_PER_DAY);
  if (unit === "week") {
    // ISO weeks start on Monday; 1970-01-01 was a Thursday.
    const monday = days - ((((days + 3n) % 7n) + 7n) % 7n);
    return monday * US_PER_DAY;
  }
  const { year, month } = civilFromDays(days);
  const startMonth: Record<string, [number, number]> = {
    month: [year, month],
    quarter: [year, month - ((month - 1) % 3)],
    year: [year, 1],
    decade: [Math.floor(year / 10) * 10, 1],
    century: [Math.floor((year - 1) / 100) * 100 + 1, 1],
    millennium: [Math.floor((year - 1) / 1000) * 1000 + 1, 1],
  };
  const start = startMonth[unit];
  return start === undefined ? null : daysFromCivil(start[0], start[1], 1) * US_PER_DAY;
}

/** date_trunc on an instant, truncating the wall clock in `zone` like Postgres. */
export function truncateInstant(instant: bigint, unit: string, zone: string): bigint | null {
  const local = toLocal(zone, instant);
  if (local === null) return null;
  const truncated = truncateLocal(local, unit);
  return truncated === null ? null : fromLocal(zone, truncated);
}

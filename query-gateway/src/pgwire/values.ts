/**
 * Gateway result values on the wire: the type OID a column is described with
 * and each value in Postgres text format (DateStyle ISO), so drivers parse
 * them as they would from Postgres. Timestamps with time zone come back from
 * the gateway in UTC and are shown in the session TimeZone, as Postgres does.
 */
import type { Value, ValueType } from "../engine/engine.ts";
import type { FieldDescription } from "./messages.ts";

/** Type OID and typlen per gateway value type (unknown values travel as text). */
const TYPES: Readonly<Record<ValueType, { oid: number; size: number }>> = {
  boolean: { oid: 16, size: 1 },
  integer: { oid: 23, size: 4 },
  bigint: { oid: 20, size: 8 },
  double: { oid: 701, size: 8 },
  numeric: { oid: 1700, size: -1 },
  text: { oid: 25, size: -1 },
  timestamptz: { oid: 1184, size: 8 },
  timestamp: { oid: 1114, size: 8 },
  date: { oid: 1082, size: 4 },
  interval: { oid: 1186, size: 16 },
  inet: { oid: 869, size: -1 },
  bytea: { oid: 17, size: -1 },
  json: { oid: 114, size: -1 },
  unknown: { oid: 25, size: -1 },
};

export function fieldOf(name: string, type: ValueType): FieldDescription {
  const t = TYPES[type];
  return { name, typeOid: t.oid, typeSize: t.size };
}

export function wireText(type: ValueType, value: Value, timeZone: string): string | null {
  if (value === null) return null;
  switch (type) {
    case "boolean":
      return value === true || value === "t" || value === "true" ? "t" : "f";
    case "double":
      return typeof value === "number" ? doubleText(value) : String(value);
    case "timestamptz":
      return typeof value === "string" ? timestamptzText(value, timeZone) : String(value);
    case "timestamp":
      return String(value).replace("T", " ");
    default:
      return String(value);
  }
}

function doubleText(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  return String(n);
}

const CANONICAL = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Seconds east of UTC of `timeZone` at the instant `epochSeconds`. */
export function utcOffsetSeconds(timeZone: string, epochSeconds: number): number {
  const parts = formatter(timeZone).formatToParts(new Date(epochSeconds * 1000));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second")) / 1000;
  return wall - epochSeconds;
}

/** `2026-03-01T00:00:00.5Z` in Europe/Paris → `2026-03-01 01:00:00.5+01`. */
export function timestamptzText(canonical: string, timeZone: string): string {
  const m = CANONICAL.exec(canonical);
  if (m === null) return canonical;
  const [, y, mo, d, h, mi, s, frac] = m;
  const epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  const offset = timeZone === "UTC" ? 0 : utcOffsetSeconds(timeZone, epoch);
  const wall = new Date((epoch + offset) * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${String(wall.getUTCFullYear()).padStart(4, "0")}-${two(wall.getUTCMonth() + 1)}-${two(wall.getUTCDate())}`;
  const time = `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}:${two(wall.getUTCSeconds())}${frac ?? ""}`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const oh = Math.floor(abs / 3600);
  const om = Math.floor((abs % 3600) / 60);
  const os = abs % 60;
  const zone = `${sign}${two(oh)}${om !== 0 || os !== 0 ? `:${two(om)}` : ""}${os !== 0 ? `:${two(os)}` : ""}`;
  return `${date} ${time}${zone}`;
}

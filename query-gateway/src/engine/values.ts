/**
 * The canonical value forms of engine.ts, produced from each engine's own
 * representation: Postgres text (by type OID) and DuckDB values (by type id).
 * Timestamps are normalized to UTC so the answer of a query does not depend
 * on which engine produced it; the session TimeZone still decides bucket
 * edges and calendar arithmetic inside the query.
 */
import { formatInet } from "../sql/inet.ts";
import type { Value, ValueType } from "./engine.ts";

const US_PER_SECOND = 1_000_000n;
const US_PER_DAY = 86_400n * US_PER_SECOND;

/** Postgres type OIDs → value types. */
const PG_TYPES: Readonly<Record<number, ValueType>> = {
  16: "boolean",
  20: "bigint",
  21: "integer",
  23: "integer",
  26: "integer",
  700: "double",
  701: "double",
  1700: "numeric",
  25: "text",
  1042: "text",
  1043: "text",
  19: "text",
  18: "text",
  1184: "timestamptz",
  1114: "timestamp",
  1082: "date",
  1186: "interval",
  869: "inet",
  650: "inet",
  17: "bytea",
  114: "json",
  3802: "json",
};

export function pgValueType(oid: number): ValueType {
  return PG_TYPES[oid] ?? "unknown";
}

/** A Postgres text value (DateStyle ISO) in canonical form. */
export function fromPgText(type: ValueType, text: string | null): Value {
  if (text === null) return null;
  switch (type) {
    case "boolean":
      return text === "t" || text === "true";
    case "integer":
    case "bigint":
      return integerValue(BigInt(text));
    case "double":
      return Number(text);
    case "numeric":
      return numericValue(text);
    case "timestamptz": {
      const us = parsePgTimestamptz(text);
      return us === null ? text : formatInstant(us);
    }
    case "timestamp":
      return text.replace(" ", "T");
    case "inet":
      // Postgres prints an inet host without its /32 or /128 already.
      return text;
    default:
      return text;
  }
}

export function integerValue(v: bigint): Value {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** numeric/decimal/hugeint text: a number when it survives the trip, else the exact text. */
export function numericValue(text: string): Value {
  if (/^-?\d+$/.test(text)) return integerValue(BigInt(text));
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

const PG_TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** `2026-03-01 01:00:00.5+01` → epoch microseconds; null for infinity, BC and other rarities. */
export function parsePgTimestamptz(text: string): bigint | null {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om, os] = m;
  const days = daysFromCivil(Number(y), Number(mo), Number(d));
  const fraction = frac === undefined ? 0n : BigInt(frac.slice(1).padEnd(6, "0").slice(0, 6));
  const local =
    BigInt(days) * US_PER_DAY +
    (BigInt(Number(h)) * 3600n + BigInt(Number(mi)) * 60n + BigInt(Number(s))) * US_PER_SECOND +
    fraction;
  const offset = (BigInt(Number(oh)) * 3600n + BigInt(Number(om ?? 0)) * 60n + BigInt(Number(os ?? 0))) * US_PER_SECOND;
  return sign === "+" ? local - offset : local + offset;
}

/** Epoch microseconds → `2026-03-01T00:00:00Z` (fraction only when non-zero). */
export function formatInstant(us: bigint): string {
  return `${formatWall(us)}Z`;
}

const US_PER_DAY_N = 86_400_000_000;
const MAX_SAFE_US = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
/** The last day formatted and its `YYYY-MM-DDT` prefix: result rows come mostly in time order. */
let prefixDay = Number.NaN;
let prefix = "";

/**
 * Wall-clock microseconds (as if UTC) → `2026-03-01T00:00:00[.ffffff]`. Called once per
 * timestamp of every result row, so it works in doubles (exact below 2^53 µs, the year 2255)
 * and reuses the date part of the previous call.
 */
export function formatWall(us: bigint): string {
  if (us > MAX_SAFE_US || us < -MAX_SAFE_US) return formatWallExact(us);
  const n = Number(us);
  let day = Math.floor(n / US_PER_DAY_N);
  let rest = n - day * US_PER_DAY_N;
  // The division rounds: put a value one microsecond off a day boundary on the right day.
  if (rest < 0) {
    day -= 1;
    rest += US_PER_DAY_N;
  } else if (rest >= US_PER_DAY_N) {
    day += 1;
    rest -= US_PER_DAY_N;
  }
  if (day !== prefixDay) {
    prefixDay = day;
    prefix = `${datePart(day)}T`;
  }
  const seconds = Math.floor(rest / 1_000_000);
  const micros = rest - seconds * 1_000_000;
  const time = `${TWO_DIGITS[Math.floor(seconds / 3600)]}:${TWO_DIGITS[Math.floor(seconds / 60) % 60]}:${TWO_DIGITS[seconds % 60]}`;
  return micros === 0 ? prefix + time : `${prefix}${time}.${String(micros).padStart(6, "0").replace(/0+$/, "")}`;
}

/** formatWall for any bigint, the slow way (years beyond 2255 or before -2255). */
function formatWallExact(us: bigint): string {
  const day = floorDiv(us, US_PER_DAY);
  const rest = us - day * US_PER_DAY;
  const seconds = rest / US_PER_SECOND;
  const micros = rest % US_PER_SECOND;
  const fraction = micros === 0n ? "" : `.${String(micros).padStart(6, "0").replace(/0+$/, "")}`;
  return `${datePart(Number(day))}T${pad2(seconds / 3600n)}:${pad2((seconds / 60n) % 60n)}:${pad2(seconds % 60n)}${fraction}`;
}

function pad2(n: bigint): string {
  return String(n).padStart(2, "0");
}

function datePart(day: number): string {
  const { year, month, dayOfMonth } = civilFromDays(day);
  return `${String(year).padStart(4, "0")}-${TWO_DIGITS[month]}-${TWO_DIGITS[dayOfMonth]}`;
}

export function formatDate(days: number): string {
  return datePart(days);
}

/** A 16-byte cold-tier address → inet text as Postgres prints it. */
export function addressText(bytes: Uint8Array): string {
  return bytes.length === 16 ? formatInet(bytes) : `\\x${Buffer.from(bytes).toString("hex")}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

// Howard Hinnant's civil-calendar algorithms (proleptic Gregorian).
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z0: number): { year: number; month: number; dayOfMonth: number } {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const dayOfMonth = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp + (mp < 10 ? 3 : -9);
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth };
}

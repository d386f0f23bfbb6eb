/**
 * Parsers for the text of timestamp and interval literals, in the forms
 * Postgres accepts and people write ('2026-01-01', '2026-01-01 10:00+02',
 * '2026-01-01T10:00:00Z', '7 days', '1 hour 30 minutes', '01:30:00'). These
 * parse data, not SQL. A form not listed here yields null: the caller then
 * treats the bound as unknown, which is safe (it reads more).
 */

const US_PER_SECOND = 1_000_000n;
const US_PER_DAY = 86_400n * US_PER_SECOND;

/** A parsed timestamp: wall-clock time (encoded as if UTC) plus the zone written in the text, if any. */
export interface TimestampText {
  readonly localUs: bigint;
  /** Offset written in the text (seconds east), or a zone name, or null when the text has no zone. */
  readonly zone: { readonly offsetSeconds: number } | { readonly name: string } | null;
}

/** Special words; `now` and friends are resolved by the caller, infinities are not bounds. */
export type SpecialTimestamp = "now" | "today" | "tomorrow" | "yesterday" | "epoch";

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(?:(Z|z)|([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?|\s([A-Za-z][A-Za-z0-9_/+-]*))?$/;

export function parseTimestampText(text: string): TimestampText | SpecialTimestamp | null {
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase();
  if (lower === "now" || lower === "today" || lower === "tomorrow" || lower === "yesterday" || lower === "epoch") {
    return lower;
  }
  const m = TIMESTAMP.exec(trimmed);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om, os, name] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (hour > 24 || minute > 59 || second > 60) return null;
  // Postgres rounds input to the microsecond.
  const micros = BigInt(Math.round(Number(`0.${frac ?? "0"}`) * 1e6));
  const localUs =
    daysFromCivil(year, month, day) * US_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) * US_PER_SECOND + micros;
  let zone: TimestampText["zone"] = null;
  if (z !== undefined) zone = { offsetSeconds: 0 };
  else if (sign !== undefined) {
    const offset = Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0);
    zone = { offsetSeconds: sign === "-" ? -offset : offset };
  } else if (name !== undefined) {
    // In a literal Postgres reads abbreviations (CET, PST) from its own table, with fixed
    // offsets that IANA zones of the same name do not share; only full zone names are
    // understood here.
    if (!name.includes("/") && !["utc", "gmt", "z"].includes(name.toLowerCase())) return null;
    zone = { name };
  }
  return { localUs, zone };
}

/** A Postgres interval: months, days and microseconds are kept apart because their length depends on the calendar. */
export interface IntervalValue {
  readonly months: number;
  readonly days: number;
  readonly us: bigint;
}

const UNIT_US: Readonly<Record<string, { months?: number; days?: number; us?: number }>> = {
  microsecond: { us: 1 },
  millisecond: { us: 1000 },
  second: { us: 1e6 },
  minute: { us: 6e7 },
  hour: { us: 3.6e9 },
  day: { days: 1 },
  week: { days: 7 },
  month: { months: 1 },
  year: { months: 12 },
  decade: { months: 120 },
  century: { months: 1200 },
  millennium: { months: 12000 },
};

const UNIT_ALIASES: Readonly<Record<string, string>> = {
  us: "microsecond",
  usec: "microsecond",
  usecs: "microsecond",
  microseconds: "microsecond",
  ms: "millisecond",
  msec: "millisecond",
  msecs: "millisecond",
  milliseconds: "millisecond",
  s: "second",
  sec: "second",
  secs: "second",
  seconds: "second",
  m: "minute",
  min: "minute",
  mins: "minute",
  minutes: "minute",
  h: "hour",
  hr: "hour",
  hrs: "hour",
  hours: "hour",
  d: "day",
  days: "day",
  w: "week",
  weeks: "week",
  mon: "month",
  mons: "month",
  months: "month",
  y: "year",
  yr: "year",
  yrs: "year",
  years: "year",
  decades: "decade",
  centuries: "century",
  millennia: "millennium",
  millenniums: "millennium",
};

/** Canonical unit name ('minutes' → 'minute'), or undefined. */
export function canonicalUnit(unit: string): string | undefined {
  const lower = unit.toLowerCase();
  if (UNIT_US[lower] !== undefined) return lower;
  return UNIT_ALIASES[lower];
}

/** Parses '7 days', '-1 hour 30 minutes', '1 day 01:30:00', '00:05', '@ 2 hours ago'. */
export function parseIntervalText(text: string): IntervalValue | null {
  let rest = text.trim().toLowerCase();
  let negate = false;
  if (rest.startsWith("@")) rest = rest.slice(1).trim();
  if (rest.endsWith(" ago")) {
    negate = true;
    rest = rest.slice(0, -4).trim();
  }
  if (rest === "") return null;
  let months = 0;
  let days = 0;
  let us = 0;
  const tokens = rest.split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    const clock = /^([+-])?(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(token);
    if (clock !== null) {
      const sign = clock[1] === "-" ? -1 : 1;
      us += sign * (Number(clock[2]) * 3.6e9 + Number(clock[3]) * 6e7 + Number(clock[4] ?? 0) * 1e6);
      continue;
    }
    // "7days" and "7 days" are both accepted by Postgres.
    const joined = /^([+-]?\d+(?:\.\d+)?)([a-z]+)$/.exec(token);
    let amountText: string;
    let unitText: string | undefined;
    if (joined !== null) {
      amountText = joined[1] ?? "";
      unitText = joined[2];
    } else {
      if (!/^[+-]?\d+(?:\.\d+)?$/.test(token)) return null;
      amountText = token;
      unitText = tokens[i + 1];
      if (unitText !== undefined) i++;
    }
    const amount = Number(amountText);
    // A bare number is seconds.
    const unit = unitText === undefined ? "second" : canonicalUnit(unitText);
    const def = unit === undefined ? undefined : UNIT_US[unit];
    if (def === undefined) return null;
    // Fractions cascade down like Postgres: a fractional month is 30 days, a fractional day 24 hours.
    const m = amount * (def.months ?? 0);
    const wholeMonths = Math.trunc(m);
    const d = amount * (def.days ?? 0) + (m - wholeMonths) * 30;
    const wholeDays = Math.trunc(d);
    months += wholeMonths;
    days += wholeDays;
    us += amount * (def.us ?? 0) + (d - wholeDays) * 8.64e10;
  }
  const sign = negate ? -1 : 1;
  // `+ 0` turns -0 into 0.
  return { months: sign * months + 0, days: sign * days + 0, us: BigInt(Math.round(sign * us)) };
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): bigint {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return BigInt(era * 146097 + doe - 719468);
}

/** The civil date of a day number since 1970-01-01. */
export function civilFromDays(days: bigint): { year: number; month: number; day: number } {
  const z = Number(days) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

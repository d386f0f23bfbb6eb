/**
 * Time-zone arithmetic for the session TimeZone, in epoch microseconds.
 *
 * "Local" values are wall-clock times encoded as if they were UTC (so
 * 2026-01-01 00:00 local is 1767225600000000 whatever the zone); converting
 * between them follows Postgres, including its rule for wall times that fall in
 * a DST gap or overlap. Zones are resolved by the platform's IANA database
 * (Intl); a zone it does not know yields null, which callers treat as "not
 * understood".
 */

const US_PER_MS = 1000n;
const US_PER_SECOND = 1_000_000n;

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatter(zone: string): Intl.DateTimeFormat | null {
  const key = zone.toLowerCase();
  let f = formatters.get(key);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
        era: "short",
      });
    } catch {
      f = null;
    }
    formatters.set(key, f);
  }
  return f;
}

/** True when the zone name is known (IANA names, UTC, GMT…). */
export function isKnownZone(zone: string): boolean {
  return formatter(zone) !== null;
}

/** UTC offset (seconds east of Greenwich) of the zone at an instant. */
export function offsetSeconds(zone: string, epochUs: bigint): number | null {
  const f = formatter(zone);
  if (f === null) return null;
  const ms = floorDiv(epochUs, US_PER_MS);
  const seconds = floorDiv(ms, 1000n) * 1000n;
  const parts: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(Number(seconds)))) parts[part.type] = part.value;
  let year = Number(parts.year);
  if (parts.era === "BC" || parts.era === "B") year = 1 - year;
  const local = Date.UTC(
    year,
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  // Date.UTC maps years 0..99 to 1900..1999; flows never live there, but be exact anyway.
  const fixed = year >= 0 && year < 100 ? new Date(local).setUTCFullYear(year) : local;
  return Math.round((fixed - Number(seconds)) / 1000);
}

/** Wall-clock time in the zone at an instant, encoded as if UTC. */
export function toLocal(zone: string, epochUs: bigint): bigint | null {
  const offset = offsetSeconds(zone, epochUs);
  return offset === null ? null : epochUs + BigInt(offset) * US_PER_SECOND;
}

/**
 * The instant a wall-clock time denotes in the zone. Like Postgres
 * (DetermineTimeZoneOffset), a time skipped by a spring-forward transition is
 * read with the offset before the transition, and a time repeated by a
 * fall-back transition with the offset after it: in both cases the smaller
 * offset, i.e. the later instant.
 */
export function fromLocal(zone: string, localUs: bigint): bigint | null {
  const candidates = new Set<number>();
  for (const probeHours of [-36n, -12n, 0n, 12n, 36n]) {
    const offset = offsetSeconds(zone, localUs + probeHours * 3600n * US_PER_SECOND);
    if (offset === null) return null;
    candidates.add(offset);
  }
  const valid = [...candidates].filter((o) => offsetSeconds(zone, localUs - BigInt(o) * US_PER_SECOND) === o);
  const pool = valid.length > 0 ? valid : [...candidates];
  const chosen = Math.min(...pool);
  return localUs - BigInt(chosen) * US_PER_SECOND;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

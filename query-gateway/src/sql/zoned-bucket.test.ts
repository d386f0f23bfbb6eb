// Zoned calendar buckets without ICU per row, executed in DuckDB and compared row by row
// with DuckDB's own zone-aware date_trunc under SET TimeZone (an independent implementation)
// on instants packed around every offset change of 2025-2027, including zones whose DST
// changes happen at local midnight (America/Santiago, America/Havana, Asia/Tehran before 2023)
// and a half-hour zone. Postgres's equality is the gateway differential test (TimescaleDB).
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "./parser.ts";
import { rewriteSql } from "./rewrite.ts";
import { offsetSeconds } from "./timezone.ts";
import { SPAN_FROM_US, SPAN_TO_US } from "./zoned-bucket.ts";

const ZONES = [
  "America/New_York",
  "Europe/Berlin",
  "Australia/Sydney",
  "America/Santiago",
  "America/Havana",
  "Asia/Tehran",
  "Asia/Kolkata",
];
const UNITS = ["day", "week", "month", "quarter", "year"];
const MINUTE_MS = 60_000;

let instance: DuckDBInstance;
let db: DuckDBConnection;

/** Every 20 minutes for 3 hours either side of each offset change in 2021-2027, plus month edges. */
function instants(): number[] {
  const out = new Set<number>();
  for (let year = 2021; year <= 2027; year++) {
    for (let month = 0; month < 12; month++) {
      const first = Date.UTC(year, month, 1);
      for (let h = -16; h <= 16; h++) out.add(first + h * 60 * MINUTE_MS + 17 * MINUTE_MS);
    }
  }
  for (const zone of ZONES) {
    let previous = offsetSeconds(zone, BigInt(Date.UTC(2021, 0, 1)) * 1000n);
    for (let hour = Date.UTC(2021, 0, 1); hour < Date.UTC(2028, 0, 1); hour += 60 * MINUTE_MS) {
      const current = offsetSeconds(zone, BigInt(hour) * 1000n);
      if (current !== previous) {
        for (let m = -180; m <= 180; m += 20) out.add(hour + m * MINUTE_MS);
        out.add(hour - 1);
      }
      previous = current;
    }
  }
  return [...out].sort((a, b) => a - b);
}

beforeAll(async () => {
  await loadSqlParser();
  instance = await DuckDBInstance.create(":memory:");
  db = await instance.connect();
  const times = instants();
  await db.run("CREATE TABLE flows (id INTEGER, ts TIMESTAMPTZ)");
  const values = times.map((ms, i) => `(${i}, make_timestamptz(${BigInt(ms) * 1000n}::BIGINT))`);
  values.push(`(${times.length}, NULL)`);
  await db.run(`INSERT INTO flows VALUES ${values.join(", ")}`);
});

afterAll(() => {
  db?.closeSync();
  instance?.closeSync();
});

async function column(sql: string, zone: string): Promise<Map<number, number | null>> {
  const conn = await instance.connect();
  try {
    await conn.run(`SET TimeZone = '${zone}'`);
    const reader = await conn.runAndReadAll(`SELECT id, epoch_ms(b)::DOUBLE AS b FROM (${sql})`);
    return new Map(reader.getRowObjects().map((r) => [Number(r.id), r.b === null ? null : Number(r.b)]));
  } finally {
    conn.closeSync();
  }
}

describe("zoned calendar buckets equal DuckDB's zone-aware date_trunc", () => {
  it.each(ZONES.flatMap((zone) => UNITS.map((unit) => [unit, zone] as const)))(
    "date_trunc('%s', ts) in %s",
    async (unit, zone) => {
      const sql = rewriteSql(`SELECT id, date_trunc('${unit}', ts) AS b FROM flows`, { timeZone: zone });
      // The fast form is taken (no ICU on rows inside the span)…
      expect(sql).toContain("make_timestamp(epoch_us(ts)");
      // …and rows run in a UTC session, as on the cold engine.
      const fast = await column(sql, "UTC");
      const native = await column(`SELECT id, date_trunc('${unit}', ts) AS b FROM flows`, zone);
      expect(fast.size).toBe(native.size);
      for (const [id, b] of native) {
        if (fast.get(id) !== b) expect({ id, b: fast.get(id) }).toEqual({ id, b });
      }
    },
  );

  it("falls back to the ICU round trip outside 2000-2040 and for hours", async () => {
    expect(SPAN_FROM_US).toBe(BigInt(Date.UTC(2000, 0, 1)) * 1000n);
    expect(SPAN_TO_US).toBe(BigInt(Date.UTC(2040, 0, 1)) * 1000n);
    const conn = await instance.connect();
    try {
      await conn.run(
        "CREATE TEMP TABLE flows AS SELECT * FROM (VALUES (1, '1999-12-31 23:00:00+00'::TIMESTAMPTZ), (2, '2045-07-01 03:00:00+00'::TIMESTAMPTZ)) v(id, ts)",
      );
      const sql = rewriteSql("SELECT id, date_trunc('month', ts) AS b FROM flows", { timeZone: "America/New_York" });
      const reader = await conn.runAndReadAll(`SELECT id, epoch_ms(b)::DOUBLE AS b FROM (${sql}) ORDER BY id`);
      // 2045-07-01 03:00Z is June 30, 23:00 EDT.
      expect(reader.getRowObjects().map((r) => Number(r.b))).toEqual([
        Date.parse("1999-12-01T05:00:00Z"),
        Date.parse("2045-06-01T04:00:00Z"),
      ]);
    } finally {
      conn.closeSync();
    }
    const hourly = rewriteSql("SELECT date_trunc('hour', ts) FROM flows", { timeZone: "Asia/Kolkata" });
    expect(hourly).not.toContain("make_timestamp");
  });
});

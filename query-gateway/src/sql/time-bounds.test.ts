// Time bounds on flows.ts, table-driven. Expected instants come from Date.parse of ISO strings
// with explicit offsets (an independent reference for zones and DST), and a soundness check runs
// the same WHERE clauses in DuckDB over many rows: every row DuckDB selects must lie inside the
// extracted bounds.
import { DuckDBInstance } from "@duckdb/node-api";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "./parser.ts";
import { extractTimeBounds } from "./time-bounds.ts";
import { ALL, NONE, type RangeSet } from "./time-range.ts";

const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const NOW_ISO = "2026-06-15T12:34:56.789Z";
const NOW = us(NOW_ISO);
const HOUR = 3_600_000_000n;
const DAY = 24n * HOUR;

/** [a, b) with null for an open side. */
const r = (from: string | bigint | null, to: string | bigint | null): RangeSet => [
  { from: typeof from === "string" ? us(from) : from, to: typeof to === "string" ? us(to) : to },
];
const rs = (...sets: RangeSet[]): RangeSet => sets.flat();

beforeAll(async () => {
  await loadSqlParser();
});

/** [description, time zone, sql, expected ranges per flows reference in text order] */
const CASES: readonly [string, string, string, RangeSet[]][] = [
  [
    "now() - interval",
    "UTC",
    "SELECT count(*) FROM flows WHERE ts >= now() - interval '7 days'",
    [r(NOW - 7n * DAY, null)],
  ],
  [
    "half-open day",
    "UTC",
    "SELECT * FROM flows WHERE ts >= '2026-01-01' AND ts < '2026-01-02'",
    [r("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")],
  ],
  [
    "strict lower bound",
    "UTC",
    "SELECT * FROM flows WHERE ts > '2026-01-01'",
    [r(us("2026-01-01T00:00:00Z") + 1n, null)],
  ],
  [
    "inclusive upper bound",
    "UTC",
    "SELECT * FROM flows WHERE ts <= '2026-01-01'",
    [r(null, us("2026-01-01T00:00:00Z") + 1n)],
  ],
  [
    "equality with fractional seconds",
    "UTC",
    "SELECT * FROM flows WHERE ts = '2026-01-01 10:00:00.5+00'",
    [r(us("2026-01-01T10:00:00.500Z"), us("2026-01-01T10:00:00.500Z") + 1n)],
  ],
  [
    "BETWEEN is inclusive",
    "UTC",
    "SELECT * FROM flows WHERE ts BETWEEN '2026-01-01' AND '2026-01-02'",
    [r(us("2026-01-01T00:00:00Z"), us("2026-01-02T00:00:00Z") + 1n)],
  ],
  [
    "BETWEEN SYMMETRIC with reversed ends",
    "UTC",
    "SELECT * FROM flows WHERE ts BETWEEN SYMMETRIC '2026-01-02' AND '2026-01-01'",
    [r(us("2026-01-01T00:00:00Z"), us("2026-01-02T00:00:00Z") + 1n)],
  ],
  [
    "OR is a union",
    "UTC",
    "SELECT * FROM flows WHERE ts < '2025-01-01' OR ts >= '2026-01-01'",
    [rs(r(null, "2025-01-01T00:00:00Z"), r("2026-01-01T00:00:00Z", null))],
  ],
  ["NOT is unbounded", "UTC", "SELECT * FROM flows WHERE NOT (ts < '2026-01-01')", [ALL]],
  ["contradiction reads nothing", "UTC", "SELECT * FROM flows WHERE ts > '2026-02-01' AND ts < '2026-01-01'", [NONE]],
  ["zoned literal", "UTC", "SELECT * FROM flows WHERE ts >= '2026-01-01 00:00+02'", [r("2025-12-31T22:00:00Z", null)]],
  [
    "zone-less literal in the session zone (winter)",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= '2026-01-01' AND ts < '2026-01-02'::timestamptz",
    [r("2025-12-31T23:00:00Z", "2026-01-01T23:00:00Z")],
  ],
  [
    "zone-less literal in the session zone (summer)",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= timestamptz '2026-07-01'",
    [r("2026-06-30T22:00:00Z", null)],
  ],
  [
    "named zone in the literal",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= '2026-01-01 00:00:00 America/New_York'",
    [r("2026-01-01T05:00:00Z", null)],
  ],
  [
    "timestamp without time zone ignores the written zone",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= '2026-01-01 00:00+05'::timestamp",
    [r("2025-12-31T23:00:00Z", null)],
  ],
  [
    "date literal",
    "Asia/Kolkata",
    "SELECT * FROM flows WHERE ts >= DATE '2026-01-01'",
    [r("2025-12-31T18:30:00Z", null)],
  ],
  [
    "date_trunc('day', now()) in UTC",
    "UTC",
    "SELECT * FROM flows WHERE ts >= date_trunc('day', now())",
    [r("2026-06-15T00:00:00Z", null)],
  ],
  [
    "date_trunc('day', now()) in Paris",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= date_trunc('day', now())",
    [r("2026-06-14T22:00:00Z", null)],
  ],
  [
    "date_trunc with an explicit zone",
    "UTC",
    "SELECT * FROM flows WHERE ts >= date_trunc('month', now(), 'America/New_York')",
    [r("2026-06-01T04:00:00Z", null)],
  ],
  ["to_timestamp", "UTC", "SELECT * FROM flows WHERE ts < to_timestamp(1767225600)", [r(null, "2026-01-01T00:00:00Z")]],
  [
    "current_timestamp",
    "UTC",
    "SELECT * FROM flows WHERE ts > current_timestamp - '1 hour'::interval",
    [r(NOW - HOUR + 1n, null)],
  ],
  [
    "month arithmetic",
    "UTC",
    "SELECT * FROM flows WHERE ts >= now() - interval '1 month'",
    [r("2026-05-15T12:34:56.789Z", null)],
  ],
  [
    "month arithmetic clamps the day",
    "UTC",
    "SELECT * FROM flows WHERE ts >= '2026-03-31'::timestamptz - interval '1 month'",
    [r("2026-02-28T00:00:00Z", null)],
  ],
  [
    "day arithmetic keeps the wall clock across DST",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= '2026-03-29 12:00'::timestamptz - interval '1 day'",
    [r("2026-03-28T11:00:00Z", null)],
  ],
  [
    "hour arithmetic does not",
    "Europe/Paris",
    "SELECT * FROM flows WHERE ts >= '2026-03-29 12:00'::timestamptz - interval '24 hours'",
    [r("2026-03-28T10:00:00Z", null)],
  ],
  [
    "number times interval",
    "UTC",
    "SELECT * FROM flows WHERE ts >= now() - 3 * interval '1 day'",
    [r(NOW - 3n * DAY, null)],
  ],
  [
    "AT TIME ZONE",
    "UTC",
    "SELECT * FROM flows WHERE ts >= '2026-01-01 00:00'::timestamp AT TIME ZONE 'Asia/Tokyo'",
    [r("2025-12-31T15:00:00Z", null)],
  ],
  [
    "special words",
    "UTC",
    "SELECT * FROM flows WHERE ts >= 'yesterday' AND ts < 'tomorrow'",
    [r("2026-06-14T00:00:00Z", "2026-06-16T00:00:00Z")],
  ],
  ["reversed comparison", "UTC", "SELECT * FROM flows WHERE '2026-01-01' <= ts", [r("2026-01-01T00:00:00Z", null)]],
  ["infinity is not a bound", "UTC", "SELECT * FROM flows WHERE ts < 'infinity'", [ALL]],
  ["unknown function", "UTC", "SELECT * FROM flows WHERE ts > my_func()", [ALL]],
  [
    "other conjuncts are ignored",
    "UTC",
    "SELECT * FROM flows WHERE proto = 6 AND ts > '2026-01-01' AND dst_port IN (80, 443)",
    [r(us("2026-01-01T00:00:00Z") + 1n, null)],
  ],
  [
    "IN list of instants",
    "UTC",
    "SELECT * FROM flows WHERE ts IN ('2026-01-05', '2026-01-03')",
    [
      rs(
        r(us("2026-01-03T00:00:00Z"), us("2026-01-03T00:00:00Z") + 1n),
        r(us("2026-01-05T00:00:00Z"), us("2026-01-05T00:00:00Z") + 1n),
      ),
    ],
  ],
  [
    "time_bucket comparisons widen the upper side by one bucket",
    "UTC",
    "SELECT * FROM flows WHERE time_bucket('1 hour', ts) >= '2026-01-01' AND time_bucket(interval '1 hour', ts) < '2026-01-02'",
    [r("2026-01-01T00:00:00Z", "2026-01-02T01:00:00Z")],
  ],
  [
    "date_trunc equality",
    "UTC",
    "SELECT * FROM flows WHERE date_trunc('day', ts) = '2026-01-01'",
    [r(us("2026-01-01T00:00:00Z"), us("2026-01-02T02:00:00Z"))],
  ],
  [
    "Grafana $__timeFilter expansion",
    "UTC",
    "SELECT * FROM flows WHERE ts BETWEEN '2026-06-15T11:34:56.789Z' AND '2026-06-15T12:34:56.789Z'",
    [r(NOW - HOUR, NOW + 1n)],
  ],
  ["alias", "UTC", "SELECT * FROM flows AS f WHERE f.ts >= '2026-01-01'", [r("2026-01-01T00:00:00Z", null)]],
  [
    "schema-qualified",
    "UTC",
    "SELECT * FROM public.flows WHERE public.flows.ts >= '2026-01-01'",
    [r("2026-01-01T00:00:00Z", null)],
  ],
  ["another schema's flows is not ours", "UTC", "SELECT * FROM archive.flows WHERE ts >= '2026-01-01'", []],
  ["no flows", "UTC", "SELECT 1", []],
  [
    "a CTE named flows shadows the table",
    "UTC",
    "WITH flows AS (SELECT now() AS ts) SELECT * FROM flows WHERE ts > '2026-01-01'",
    [],
  ],
  [
    "self-join: each reference its own bounds",
    "UTC",
    "SELECT * FROM flows a JOIN flows b ON a.src_addr = b.dst_addr AND b.ts < '2026-02-01' WHERE a.ts >= '2026-01-01'",
    [r("2026-01-01T00:00:00Z", null), r(null, "2026-02-01T00:00:00Z")],
  ],
  [
    "unqualified ts is ambiguous in a self-join",
    "UTC",
    "SELECT * FROM flows a, flows b WHERE ts >= '2026-01-01'",
    [ALL, ALL],
  ],
  [
    "ON of a LEFT JOIN filters the null-extended side",
    "UTC",
    "SELECT * FROM ref.exporters e LEFT JOIN flows f ON f.exporter = e.address AND f.ts >= '2026-01-01'",
    [r("2026-01-01T00:00:00Z", null)],
  ],
  [
    "ON of a LEFT JOIN does not filter the preserved side",
    "UTC",
    "SELECT * FROM flows f LEFT JOIN ref.exporters e ON f.exporter = e.address AND f.ts >= '2026-01-01'",
    [ALL],
  ],
  [
    "WHERE filters through a LEFT JOIN",
    "UTC",
    "SELECT * FROM flows f LEFT JOIN ref.exporters e ON f.exporter = e.address WHERE f.ts >= '2026-01-01'",
    [r("2026-01-01T00:00:00Z", null)],
  ],
  [
    "filter outside a CTE is pushed in",
    "UTC",
    "WITH recent AS (SELECT ts, bytes FROM flows WHERE ts >= '2026-01-01') SELECT sum(bytes) FROM recent WHERE ts < '2026-02-01'",
    [r("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")],
  ],
  [
    "a CTE read twice gets the union of both filters",
    "UTC",
    "WITH x AS (SELECT * FROM flows) SELECT * FROM x WHERE ts < '2025-01-01' UNION ALL SELECT * FROM x WHERE ts >= '2026-01-01'",
    [rs(r(null, "2025-01-01T00:00:00Z"), r("2026-01-01T00:00:00Z", null))],
  ],
  [
    "a CTE read once unfiltered is unbounded",
    "UTC",
    "WITH x AS (SELECT * FROM flows) SELECT * FROM x WHERE ts < '2025-01-01' UNION ALL SELECT * FROM x",
    [ALL],
  ],
  [
    "filter outside a subquery is pushed through a rename",
    "UTC",
    "SELECT * FROM (SELECT ts AS t, bytes FROM flows WHERE ts >= '2026-01-01') s WHERE s.t < '2026-02-01'",
    [r("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")],
  ],
  [
    "not through LIMIT",
    "UTC",
    "SELECT * FROM (SELECT * FROM flows ORDER BY ts DESC LIMIT 10) s WHERE ts > '2026-01-01'",
    [ALL],
  ],
  [
    "not through a window function",
    "UTC",
    "SELECT * FROM (SELECT ts, sum(bytes) OVER (ORDER BY ts) AS running FROM flows) s WHERE ts > '2026-01-01'",
    [ALL],
  ],
  [
    "subquery in WHERE: its value is unknown, its own reference has its own bounds",
    "UTC",
    "SELECT * FROM flows WHERE ts > (SELECT max(ts) FROM flows WHERE ts < '2026-01-01') - interval '1 hour'",
    [ALL, r(null, "2026-01-01T00:00:00Z")],
  ],
  [
    "correlated subquery",
    "UTC",
    "SELECT * FROM flows f WHERE EXISTS (SELECT 1 FROM flows g WHERE g.ts > f.ts AND g.ts < '2026-01-01')",
    [ALL, r(null, "2026-01-01T00:00:00Z")],
  ],
  [
    "LATERAL subquery",
    "UTC",
    "SELECT * FROM ref.exporters e, LATERAL (SELECT count(*) FROM flows f WHERE f.exporter = e.address AND f.ts >= now() - interval '1 day') c",
    [r(NOW - DAY, null)],
  ],
  ["EXPLAIN", "UTC", "EXPLAIN SELECT * FROM flows WHERE ts >= '2026-01-01'", [r("2026-01-01T00:00:00Z", null)]],
];

describe("extractTimeBounds", () => {
  it.each(CASES)("%s", (_description, timeZone, sql, expected) => {
    const bounds = extractTimeBounds(sql, { now: NOW, timeZone });
    expect(bounds.references.map((ref) => ref.ranges)).toEqual(expected);
    if (expected.length === 1) expect(bounds.union).toEqual(expected[0]);
  });

  it("reads $n parameters in text form", () => {
    const bounds = extractTimeBounds("SELECT * FROM flows WHERE ts >= $1 AND ts < $2::timestamptz + interval '1 day'", {
      now: NOW,
      timeZone: "UTC",
      params: ["2026-01-01T00:00:00Z", "2026-01-01"],
    });
    expect(bounds.union).toEqual(r("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"));
    const missing = extractTimeBounds("SELECT * FROM flows WHERE ts >= $1", { now: NOW, timeZone: "UTC" });
    expect(missing.union).toEqual(ALL);
  });

  it("reports where each reference is", () => {
    const bounds = extractTimeBounds("SELECT * FROM flows a JOIN flows AS b ON true", { now: NOW, timeZone: "UTC" });
    expect(bounds.references.map((ref) => [ref.alias, ref.position])).toEqual([
      ["a", 15],
      ["b", 28],
    ]);
  });

  it("takes the union of the references", () => {
    const bounds = extractTimeBounds(
      "SELECT * FROM flows WHERE ts < '2025-01-01' UNION ALL SELECT * FROM flows WHERE ts >= '2024-06-01'",
      { now: NOW, timeZone: "UTC" },
    );
    expect(bounds.union).toEqual(ALL);
  });
});

// The same WHERE clauses run in DuckDB (its own parser, time-zone and interval code) over rows
// spread across two years plus rows on every bound's edge: each row DuckDB keeps must be inside
// the extracted ranges.
const SOUNDNESS: readonly string[] = [
  "ts >= now() - interval '7 days'",
  "ts > now() - interval '1 month' AND ts <= now() - interval '2 days'",
  "ts >= '2026-03-29' AND ts < '2026-03-30'",
  "ts BETWEEN '2026-03-28 12:00' AND '2026-03-29 12:00'",
  "ts >= '2026-10-25 02:30' AND ts < '2026-10-25 03:30'",
  "ts >= '2026-03-29 02:30' AND ts < '2026-03-29 03:30'",
  "ts < '2025-12-31 23:59:59.999999+00' OR ts > '2026-06-01 00:00:00-07'",
  "ts >= date_trunc('day', now()) - interval '1 day'",
  "ts >= date_trunc('month', now())",
  "time_bucket(INTERVAL '1 hour', ts) >= '2026-01-01 10:00' AND time_bucket(INTERVAL '1 hour', ts) < '2026-01-01 12:00'",
  "date_trunc('day', ts) = '2026-03-29'",
  "date_trunc('day', ts) <= '2026-03-29' AND date_trunc('day', ts) > '2026-03-27'",
  "ts >= to_timestamp(1767225600) AND ts < to_timestamp(1767225600) + interval '36 hours'",
  "ts IN ('2026-01-01 00:00:00', '2026-03-29 01:00:00+00')",
  "'2026-01-01' <= ts AND ts <= '2026-01-01'::timestamptz + interval '1 day'",
  "ts >= timestamptz '2026-07-01 00:00:00 America/New_York'",
];

describe("soundness against DuckDB", () => {
  for (const timeZone of ["UTC", "Europe/Paris", "America/New_York"]) {
    it(`every row DuckDB selects is inside the bounds (${timeZone})`, async () => {
      const instance = await DuckDBInstance.create(":memory:");
      const db = await instance.connect();
      try {
        await db.run(`SET TimeZone = '${timeZone}'`);
        await db.run("CREATE TABLE flows (ts TIMESTAMPTZ)");
        // Rows every 37 minutes over ~2 years, plus every whole hour around the DST changes.
        await db.run(
          `INSERT INTO flows SELECT TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL '37 minutes' + (i % 7) * INTERVAL '1 second' FROM range(0, 30000) t(i)`,
        );
        await db.run(
          `INSERT INTO flows SELECT TIMESTAMPTZ '2026-03-27 00:00:00+00' + i * INTERVAL '15 minutes' FROM range(0, 600) t(i)`,
        );
        await db.run(
          `INSERT INTO flows SELECT TIMESTAMPTZ '2026-10-23 00:00:00+00' + i * INTERVAL '15 minutes' FROM range(0, 600) t(i)`,
        );
        await db.run("BEGIN");
        const nowRows = await db.runAndReadAll("SELECT epoch_us(now())::VARCHAR AS now");
        const now = BigInt(String(nowRows.getRowObjects()[0]?.now));
        // Rows on and next to every bound, in this zone.
        for (const where of SOUNDNESS) {
          const bounds = extractTimeBounds(`SELECT * FROM flows WHERE ${where}`, { now, timeZone });
          for (const range of bounds.union) {
            for (const edge of [range.from, range.to]) {
              if (edge === null) continue;
              await db.run(`INSERT INTO flows SELECT make_timestamptz(${edge} + d) FROM (VALUES (-1), (0), (1)) v(d)`);
            }
          }
        }
        let checked = 0;
        for (const where of SOUNDNESS) {
          const bounds = extractTimeBounds(`SELECT * FROM flows WHERE ${where}`, { now, timeZone });
          expect(bounds.union, where).not.toEqual(ALL);
          const rows = await db.runAndReadAll(`SELECT epoch_us(ts)::VARCHAR AS t FROM flows WHERE ${where}`);
          const selected = rows.getRowObjects().map((row) => BigInt(String(row.t)));
          // A wall-clock range inside a DST gap ('02:30'–'03:30' on the spring-forward day in Paris)
          // is empty in both Postgres and DuckDB; everything else must select something to mean anything.
          if (bounds.union.length > 0) expect(selected.length, `${where} selects rows`).toBeGreaterThan(0);
          for (const t of selected) {
            const inside = bounds.union.some((x) => (x.from === null || t >= x.from) && (x.to === null || t < x.to));
            if (!inside)
              throw new Error(
                `${where} (${timeZone}): row ${new Date(Number(t / 1000n)).toISOString()} is outside the bounds`,
              );
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(1000);
        await db.run("COMMIT");
      } finally {
        db.closeSync();
        instance.closeSync();
      }
    });
  }
});

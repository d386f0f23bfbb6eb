// Differential test: flow-analysis queries through the gateway with the data all hot, split
// across tiers (with a late-arriving chunk inside an archived range) and all cold, each
// compared with the same SQL on TimescaleDB holding ALL rows (ref_all.flows on the same
// embedded server). Real services only: embedded TimescaleDB, a file:// Iceberg warehouse
// written by our Iceberg library and committed through the SQL catalog, DuckDB in-process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "./config.ts";
import type { Value } from "./engine/engine.ts";
import { fromPgText, pgValueType } from "./engine/values.ts";
import { Gateway, type QueryOutcome } from "./gateway.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "./tiers/fixture.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const DAYS = 6;

interface Case {
  readonly name: string;
  readonly sql: string;
  readonly timeZone?: string;
  readonly params?: readonly (string | null)[];
  /** Compare rows in order (the query's ORDER BY fixes it); otherwise as multisets. */
  readonly ordered?: boolean;
}

const CASES: readonly Case[] = [
  { name: "count all", sql: "SELECT count(*) FROM flows" },
  {
    name: "totals in a range",
    sql: "SELECT count(*), sum(bytes), sum(packets), min(ts), max(ts) FROM flows WHERE ts >= '2026-03-02' AND ts < '2026-03-05'",
  },
  {
    name: "sums by proto",
    sql: "SELECT proto, count(*) AS n, sum(bytes) AS bytes FROM flows GROUP BY proto ORDER BY proto NULLS FIRST",
    ordered: true,
  },
  {
    name: "top talkers",
    sql: "SELECT src_addr, sum(bytes) AS total FROM flows WHERE ts >= '2026-03-01' GROUP BY src_addr ORDER BY total DESC, src_addr LIMIT 10",
    ordered: true,
  },
  // The cold tier reads a result in one call when its LIMIT bounds it (engine/row-cap.ts) and
  // streams it otherwise; every form of LIMIT must give TimescaleDB's rows either way.
  {
    name: "OFFSET without LIMIT",
    sql: "SELECT src_addr, sum(bytes) AS total FROM flows GROUP BY src_addr ORDER BY total DESC, src_addr OFFSET 3",
    ordered: true,
  },
  {
    name: "LIMIT ALL",
    sql: "SELECT exporter, count(*) AS n FROM flows GROUP BY exporter ORDER BY n DESC, exporter LIMIT ALL",
    ordered: true,
  },
  {
    name: "LIMIT computed by a subquery",
    sql: "SELECT dst_port, count(*) AS n FROM flows GROUP BY dst_port ORDER BY n DESC, dst_port NULLS FIRST LIMIT (SELECT 2 + 1)",
    ordered: true,
  },
  {
    name: "FETCH FIRST WITH TIES",
    sql: "SELECT proto, count(*) AS n FROM flows GROUP BY proto ORDER BY n DESC FETCH FIRST 1 ROWS WITH TIES",
  },
  {
    name: "LIMIT and OFFSET as parameters",
    sql: "SELECT src_addr, count(*) AS n FROM flows GROUP BY src_addr ORDER BY n DESC, src_addr LIMIT $1 OFFSET $2",
    params: ["4", "1"],
    ordered: true,
  },
  {
    name: "per-minute series across a chunk boundary",
    sql: "SELECT time_bucket('1 minute', ts) AS minute, count(*), sum(bytes) FROM flows WHERE ts >= '2026-03-03 23:30' AND ts < '2026-03-04 00:30' GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "hourly series",
    sql: "SELECT date_trunc('hour', ts) AS hour, sum(bytes) AS bytes FROM flows GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "daily series UTC",
    sql: "SELECT date_trunc('day', ts) AS day, count(*), avg(bytes) AS avg_bytes FROM flows GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "daily series America/New_York",
    sql: "SELECT date_trunc('day', ts) AS day, count(*), sum(bytes) FROM flows GROUP BY 1 ORDER BY 1",
    timeZone: "America/New_York",
    ordered: true,
  },
  {
    name: "daily time_bucket Asia/Kolkata with zone-less bounds",
    sql: "SELECT date_trunc('day', ts) AS day, count(*) FROM flows WHERE ts >= '2026-03-02 00:00' AND ts < '2026-03-05 00:00' GROUP BY 1 ORDER BY 1",
    timeZone: "Asia/Kolkata",
    ordered: true,
  },
  { name: "IPv4 CIDR filter", sql: "SELECT count(*), sum(bytes) FROM flows WHERE src_addr << '10.0.0.0/8'" },
  {
    name: "IPv6 CIDR group",
    sql: "SELECT dst_addr, count(*) AS n FROM flows WHERE dst_addr <<= '2001:db8::/32' GROUP BY dst_addr ORDER BY n DESC, dst_addr LIMIT 5",
    ordered: true,
  },
  {
    name: "exporter equality",
    sql: "SELECT exporter, count(*) FROM flows WHERE exporter = '192.0.2.1' OR exporter = '2001:db8:ffff::e1' GROUP BY exporter ORDER BY exporter",
    ordered: true,
  },
  {
    name: "port filter",
    sql: "SELECT dst_port, count(*), sum(packets) FROM flows WHERE dst_port IN (443, 53) AND ts < '2026-03-06' GROUP BY dst_port ORDER BY dst_port",
    ordered: true,
  },
  { name: "median bytes", sql: "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY bytes) AS p50 FROM flows" },
  {
    name: "window running total",
    sql: "SELECT day, n, sum(n) OVER (ORDER BY day) AS running FROM (SELECT date_trunc('day', ts) AS day, count(*) AS n FROM flows GROUP BY 1) d ORDER BY day",
    ordered: true,
  },
  {
    name: "CTE over talkers",
    sql: "WITH t AS (SELECT src_addr, sum(bytes) AS b FROM flows GROUP BY src_addr) SELECT count(*) AS talkers, max(b) AS top FROM t",
  },
  {
    name: "join to VALUES",
    sql: "SELECT v.name, count(*) FROM flows f JOIN (VALUES (6, 'tcp'), (17, 'udp')) AS v(proto, name) ON f.proto = v.proto GROUP BY v.name ORDER BY v.name",
    ordered: true,
  },
  {
    name: "NULL-aware counts",
    sql: "SELECT count(*) AS all_rows, count(src_port) AS with_port, count(*) FILTER (WHERE ts_end IS NULL) AS open_ended, count(src_addr) AS with_src FROM flows",
  },
  {
    name: "rows exactly on a chunk boundary",
    sql: "SELECT ts, exporter, src_addr, dst_addr, bytes FROM flows WHERE ts = '2026-03-04 00:00:00+00' ORDER BY exporter",
    ordered: true,
  },
  { name: "distinct sources", sql: "SELECT count(DISTINCT src_addr) AS sources FROM flows" },
  {
    name: "avg with HAVING",
    sql: "SELECT exporter, avg(bytes) AS avg_bytes, max(ts) AS last_seen FROM flows GROUP BY exporter HAVING count(*) > 10 ORDER BY exporter",
    ordered: true,
  },
  {
    name: "relative time with a parameter",
    sql: "SELECT count(*) FROM flows WHERE ts > now() - interval '3650 days' AND dst_port = $1",
    params: ["443"],
  },
  {
    name: "BETWEEN range",
    sql: "SELECT count(*), sum(bytes) FROM flows WHERE ts BETWEEN '2026-03-02 06:00' AND '2026-03-03 18:00'",
  },
  { name: "TCP SYN flag", sql: "SELECT count(*) FROM flows WHERE tcp_flags & 2 = 2" },
  {
    name: "exporter and interface",
    sql: "SELECT exporter, in_if, sum(bytes) AS b FROM flows GROUP BY 1, 2 ORDER BY 1, 2 NULLS FIRST",
    ordered: true,
  },
  {
    name: "AS pairs",
    sql: "SELECT src_as, dst_as, count(*) AS n FROM flows WHERE src_as IS NOT NULL GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 10",
    ordered: true,
  },
  {
    name: "5-tuple lookup",
    sql: "SELECT ts, src_port, bytes FROM flows WHERE src_addr <<= '10.1.3.0/24' AND dst_addr = '192.168.1.20' AND proto = 6 ORDER BY ts, src_port",
    ordered: true,
  },
  {
    name: "sampling-renormalized bytes",
    sql: "SELECT sampling_rate, sum(bytes * sampling_rate) AS est FROM flows GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  { name: "NOT IN addresses", sql: "SELECT count(*) FROM flows WHERE src_addr NOT IN ('10.0.0.1', '10.1.1.2')" },
  { name: "UDP min/max/avg", sql: "SELECT min(bytes), max(bytes), avg(packets) FROM flows WHERE proto = 17" },
  {
    name: "15-minute buckets",
    sql: "SELECT time_bucket('15 minutes', ts) AS b, count(*) FROM flows WHERE ts < '2026-03-01 03:00' GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "weekly UTC",
    sql: "SELECT date_trunc('week', ts) AS w, count(*) FROM flows GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "weekly Europe/Berlin",
    sql: "SELECT date_trunc('week', ts) AS w, count(*) FROM flows GROUP BY 1 ORDER BY 1",
    timeZone: "Europe/Berlin",
    ordered: true,
  },
  {
    name: "time_bucket 1 day in America/Los_Angeles (UTC-aligned)",
    sql: "SELECT time_bucket('1 day', ts) AS d, count(*) FROM flows GROUP BY 1 ORDER BY 1",
    timeZone: "America/Los_Angeles",
    ordered: true,
  },
  {
    name: "port range",
    sql: "SELECT dst_port, count(*) FROM flows WHERE dst_port BETWEEN 20 AND 100 GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "IPv6 sources recently",
    sql: "SELECT count(*) FROM flows WHERE src_addr <<= '2001:db8::/32' AND ts >= now() - interval '3650 days'",
  },
  {
    name: "top port per exporter (row_number)",
    sql: "SELECT exporter, dst_port, n FROM (SELECT exporter, dst_port, count(*) AS n, row_number() OVER (PARTITION BY exporter ORDER BY count(*) DESC, dst_port) AS rn FROM flows WHERE dst_port IS NOT NULL GROUP BY 1, 2) t WHERE rn = 1 ORDER BY exporter",
    ordered: true,
  },
  { name: "long flows", sql: "SELECT count(*) FROM flows WHERE ts_end - ts > interval '30 seconds'" },
  {
    name: "hour of day Europe/Berlin",
    sql: "SELECT extract(hour FROM ts) AS h, count(*) FROM flows GROUP BY 1 ORDER BY 1",
    timeZone: "Europe/Berlin",
    ordered: true,
  },
  {
    name: "share of HTTPS",
    sql: "SELECT count(*) FILTER (WHERE dst_port = 443) * 100.0 / count(*) AS pct FROM flows",
  },
  {
    name: "CASE classification",
    sql: "SELECT CASE WHEN dst_port IN (80, 443) THEN 'web' ELSE 'other' END AS kind, sum(bytes) FROM flows GROUP BY 1 ORDER BY 1",
    ordered: true,
  },
  {
    name: "join to a ref lookup table",
    sql: "SELECT e.name, count(*), sum(f.bytes) FROM flows f JOIN ref.exporters e ON f.exporter = e.address GROUP BY e.name ORDER BY e.name",
    ordered: true,
  },
  {
    name: "left join to a ref table (unknown exporter)",
    sql: "SELECT e.site, f.proto, count(*) FROM flows f LEFT JOIN ref.exporters e ON e.address = f.exporter WHERE f.ts >= '2026-03-03' GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST",
    ordered: true,
  },
  { name: "ref table alone", sql: "SELECT address, name FROM ref.exporters ORDER BY name", ordered: true },
  {
    // Top talkers written the natural way: ORDER BY bytes is the output column (the sum),
    // sum(bytes) and WHERE read the input column.
    name: "top talkers, sum named like its column",
    sql: "SELECT src_addr, sum(bytes) AS bytes FROM flows WHERE ts > now() - interval '3650 days' GROUP BY src_addr ORDER BY bytes DESC LIMIT 10",
    ordered: true,
  },
  {
    // GROUP BY proto is the input column, ORDER BY proto the output column (dst_port).
    name: "output name shadowing a column in GROUP BY and ORDER BY",
    sql: "SELECT dst_port AS proto, count(*) AS n, sum(packets) AS packets FROM flows GROUP BY proto, dst_port ORDER BY proto NULLS FIRST, n, packets",
    ordered: true,
  },
  {
    name: "monthly and yearly UTC",
    sql: "SELECT date_trunc('month', ts) AS m, date_trunc('year', ts) AS y, count(*), sum(bytes) FROM flows GROUP BY 1, 2 ORDER BY 1, 2",
    ordered: true,
  },
  {
    // The data spans the US spring-forward (2026-03-08 07:00Z): rows after it keep the
    // month's EST start (05:00Z), and rows before 05:00Z on March 1 fall in February.
    name: "monthly across DST America/New_York",
    sql: "SELECT date_trunc('month', ts) AS m, count(*), sum(bytes) FROM flows GROUP BY 1 ORDER BY 1",
    timeZone: "America/New_York",
    ordered: true,
  },
  {
    name: "yearly and quarterly across DST America/New_York",
    sql: "SELECT date_trunc('year', ts) AS y, date_trunc('quarter', ts) AS q, count(*) FROM flows GROUP BY 1, 2 ORDER BY 1, 2",
    timeZone: "America/New_York",
    ordered: true,
  },
];

let fixture: TierFixture;
let gateway: Gateway;
let cacheDir: string;

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert(flowDataset(FIRST_DAY, DAYS, 250, 7));
  // Two more days across the US spring-forward (2026-03-08 07:00Z), for zoned month buckets.
  await fixture.insert(flowDataset(FIRST_DAY + BigInt(DAYS) * DAY_US, 2, 60, 13));
  cacheDir = mkdtempSync(join(tmpdir(), "gateway-cache-"));
  gateway = new Gateway(
    gatewayConfig({ pgUrl: fixture.readerUrl, warehouse: fixture.warehouse, cacheDir, hotSliceRowLimit: 5_000 }),
  );
  await gateway.start();
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await fixture?.stop();
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
});

async function reference(c: Case): Promise<Value[][]> {
  const result = await fixture.reference(c.sql, c.timeZone ?? "UTC", c.params);
  const types = result.fields.map((f) => pgValueType(f.dataTypeID));
  return result.rows.map((row) => row.map((v, i) => fromPgText(types[i] ?? "unknown", v ?? null)));
}

function close(a: Value, b: Value): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function sameRows(actual: readonly (readonly Value[])[], expected: readonly (readonly Value[])[], ordered: boolean) {
  const key = (r: readonly Value[]) =>
    JSON.stringify(r.map((v) => (typeof v === "number" ? Number(v.toPrecision(12)) : v)));
  const a = ordered ? actual : [...actual].sort((x, y) => key(x).localeCompare(key(y)));
  const e = ordered ? expected : [...expected].sort((x, y) => key(x).localeCompare(key(y)));
  expect(a.length).toBe(e.length);
  a.forEach((row, i) => {
    const other = e[i] ?? [];
    const equal = row.length === other.length && row.every((v, j) => close(v, other[j] ?? null));
    if (!equal) expect(row).toEqual(other);
  });
}

async function runAll(expectRoute: (c: Case, outcome: QueryOutcome) => void): Promise<void> {
  for (const c of CASES) {
    const outcome = await gateway
      .query({ sql: c.sql, ...(c.timeZone ? { timeZone: c.timeZone } : {}), ...(c.params ? { params: c.params } : {}) })
      .catch((error: unknown) => {
        throw new Error(`${c.name}: ${(error as Error).message}`);
      });
    const expected = await reference(c);
    try {
      sameRows(outcome.result.rows, expected, c.ordered === true);
    } catch (error) {
      throw new Error(`${c.name} [${outcome.info.route}/${outcome.info.strategy}]: ${(error as Error).message}`);
    }
    expectRoute(c, outcome);
  }
}

describe("gateway answers like TimescaleDB holding all rows", () => {
  it("all hot", async () => {
    await runAll((c, outcome) => {
      if (c.name !== "count all") return;
      expect(outcome.info.route).toBe("hot");
      expect(outcome.info.engines).toEqual(["timescale"]);
    });
  }, 120_000);

  it("split across tiers, with a late chunk inside the archived range", async () => {
    for (let d = 0; d < 3; d++) {
      const start = FIRST_DAY + BigInt(d) * DAY_US;
      expect(await fixture.archive(start, start + DAY_US)).toBeGreaterThan(200);
    }
    // Late flows for an archived day create a new hot chunk inside the cold range.
    await fixture.insert(flowDataset(FIRST_DAY + DAY_US, 1, 20, 99).slice(4));
    const strategies = new Map<string, string>();
    await runAll((c, outcome) => {
      strategies.set(c.name, `${outcome.info.route}/${outcome.info.strategy}`);
    });
    expect(strategies.get("count all")).toBe("both/partial-aggregate");
    expect(strategies.get("per-minute series across a chunk boundary")).toBe("both/partial-aggregate");
    expect(strategies.get("median bytes")).toBe("both/hot-slice");
    expect(strategies.get("rows exactly on a chunk boundary")).toBe("hot/hot");
    // An output name shadowing a column must not push the hot rows into DuckDB.
    expect(strategies.get("top talkers, sum named like its column")).toBe("both/partial-aggregate");
    expect(strategies.get("output name shadowing a column in GROUP BY and ORDER BY")).toBe("both/partial-aggregate");
    expect(strategies.get("monthly across DST America/New_York")).toBe("both/partial-aggregate");

    const cold = await gateway.query({
      sql: "SELECT count(*) FROM flows WHERE ts >= '2026-03-03' AND ts < '2026-03-04'",
    });
    expect(cold.info.route).toBe("cold");
    expect(cold.info.filesScanned).toBe(1);
    expect(cold.info.filesPruned).toBeGreaterThanOrEqual(2);
    const late = await gateway.query({
      sql: "SELECT count(*) FROM flows WHERE ts >= '2026-03-02' AND ts < '2026-03-03'",
    });
    expect(late.info.route).toBe("both");
  }, 180_000);

  it("all cold", async () => {
    const { rows } = await fixture.admin.query<{ start: Date; end: Date }>(
      "SELECT range_start AS start, range_end AS end FROM timescaledb_information.chunks WHERE hypertable_name = 'flows'",
    );
    for (const r of rows) await fixture.archive(BigInt(r.start.getTime()) * 1000n, BigInt(r.end.getTime()) * 1000n);
    await runAll((c, outcome) => {
      if (c.name === "count all") {
        expect(outcome.info.route).toBe("cold");
        expect(outcome.info.engines).toEqual(["duckdb"]);
      }
    });
  }, 180_000);
});

// Addresses on every route, against TimescaleDB holding all rows (ref_all.flows):
// - CIDR / equality / IN predicates prune cold files by their address-column bounds: three
//   archived days whose source addresses occupy disjoint ranges (10.1/16, 10.2/16,
//   2001:db8:3::/48), plus a hot day; the pruned counts are asserted, answers compared.
// - host(), abbrev(), family(), masklen() and inet::text print what Postgres prints, for IPv4,
//   IPv6 and the forms Postgres writes specially (::1.2.3.4, ::1, runs of zero groups, ties).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "./config.ts";
import type { Value } from "./engine/engine.ts";
import { fromPgText, pgValueType } from "./engine/values.ts";
import { Gateway } from "./gateway.ts";
import { DAY_US, type FlowRow, flowDataset, startTierFixture, type TierFixture } from "./tiers/fixture.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;

/** IPv6 forms Postgres prints in its own way; ::ffff:a.b.c.d is absent on purpose (it is IPv4 on the cold tier). */
const EDGE_V6 = [
  "::",
  "::1",
  "::2",
  "::1.2.3.4",
  "::a:b",
  "::0.1.0.0",
  "::fffe:102:304",
  "::1:ffff:102:304",
  "64:ff9b::102:304",
  "2001:db8::1:0:0:1",
  "2001:0:0:1::1",
  "1::",
  "fe80::1:2:3:4",
  "::1:0:0:0",
  "2001:db8:aa::9",
];

function day(d: number, perDay: number, seed: number, src: (k: number) => string, dst: (k: number) => string) {
  const rows = flowDataset(FIRST_DAY + BigInt(d) * DAY_US, 1, perDay, seed);
  return rows.map((row, k): FlowRow => ({ ...row, src_addr: k % 17 === 5 ? null : src(k), dst_addr: dst(k) }));
}

let fixture: TierFixture;
let gateway: Gateway;
let cacheDir: string;

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert([
    ...day(
      0,
      80,
      1,
      (k) => `10.1.${k % 7}.${k % 200}`,
      (k) => `192.168.1.${k % 9}`,
    ),
    ...day(
      1,
      80,
      2,
      (k) => `10.2.${k % 5}.${k % 100}`,
      (k) => `192.168.2.${k % 9}`,
    ),
    ...day(
      2,
      80,
      3,
      (k) => `2001:db8:3::${(k % 30).toString(16)}`,
      (k) => EDGE_V6[k % EDGE_V6.length] ?? "::",
    ),
    ...day(
      3,
      80,
      4,
      (k) => `10.1.${k % 3}.${k % 50}`,
      (k) => (k % 2 === 0 ? `10.9.0.${k % 9}` : "2001:db8::1"),
    ),
  ]);
  for (let d = 0; d < 3; d++) {
    const start = FIRST_DAY + BigInt(d) * DAY_US;
    await fixture.archive(start, start + DAY_US);
  }
  cacheDir = mkdtempSync(join(tmpdir(), "gateway-addr-"));
  gateway = new Gateway(gatewayConfig({ pgUrl: fixture.readerUrl, warehouse: fixture.warehouse, cacheDir }));
  await gateway.start();
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await fixture?.stop();
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
});

async function reference(sql: string, params?: readonly (string | null)[]): Promise<Value[][]> {
  const result = await fixture.reference(sql, "UTC", params);
  const types = result.fields.map((f) => pgValueType(f.dataTypeID));
  return result.rows.map((row) => row.map((v, i) => fromPgText(types[i] ?? "unknown", v ?? null)));
}

const sorted = (rows: readonly (readonly Value[])[]) => rows.map((r) => JSON.stringify(r)).sort();

async function same(sql: string, params?: readonly (string | null)[]) {
  const outcome = await gateway.query({ sql, ...(params === undefined ? {} : { params }) });
  const expected = await reference(sql, params);
  expect(sorted(outcome.result.rows), sql).toEqual(sorted(expected));
  return outcome;
}

describe("address predicates prune cold files", () => {
  const cases: readonly {
    sql: string;
    params?: readonly string[];
    route: string;
    scanned: number;
    byAddress: number;
  }[] = [
    {
      sql: "SELECT count(*), sum(bytes) FROM flows WHERE src_addr << '10.1.0.0/16'",
      route: "both",
      scanned: 1,
      byAddress: 2,
    },
    {
      sql: "SELECT count(*) FROM flows WHERE src_addr <<= '10.2.0.0/16' AND ts < '2026-03-04'",
      route: "cold",
      scanned: 1,
      byAddress: 2,
    },
    {
      sql: "SELECT dst_port, count(*) FROM flows WHERE '10.0.0.0/8'::cidr >> src_addr AND ts < '2026-03-04' GROUP BY 1",
      route: "cold",
      scanned: 2,
      byAddress: 1,
    },
    {
      sql: "SELECT count(*) FROM flows WHERE src_addr IN ('10.1.0.7', '2001:db8:3::5') AND ts < '2026-03-04'",
      route: "cold",
      scanned: 2,
      byAddress: 1,
    },
    {
      sql: "SELECT src_addr, bytes FROM flows WHERE src_addr <<= $1 AND ts < '2026-03-04'",
      params: ["2001:db8:3::/48"],
      route: "cold",
      scanned: 1,
      byAddress: 2,
    },
    {
      sql: "SELECT count(*) FROM flows WHERE src_addr = '10.2.0.9'",
      route: "both",
      scanned: 1,
      byAddress: 2,
    },
    {
      sql: "SELECT count(*) FROM (SELECT * FROM flows WHERE src_addr << '10.2.0.0/16' OR src_addr << '10.1.0.0/16') t",
      route: "both",
      scanned: 2,
      byAddress: 1,
    },
    {
      sql: "SELECT count(*) FROM flows WHERE src_addr << '10.2.0.0/16' UNION ALL SELECT count(*) FROM flows WHERE src_addr <<= '2001:db8::/32'",
      route: "both",
      scanned: 2,
      byAddress: 1,
    },
    {
      sql: "SELECT e.name, count(*) FROM flows f JOIN ref.exporters e ON e.address = f.exporter WHERE f.src_addr <<= '10.2.0.0/16' GROUP BY 1",
      route: "both",
      scanned: 1,
      byAddress: 2,
    },
    // Every cold file excluded: only the hot tier is read, and the answer is still right.
    {
      sql: "SELECT count(*), max(bytes) FROM flows WHERE src_addr << '192.168.0.0/16'",
      route: "hot",
      scanned: 0,
      byAddress: 0,
    },
    // Not prunable: negation, OR with a non-address predicate, an unfiltered flows reference.
    {
      sql: "SELECT count(*) FROM flows WHERE NOT (src_addr << '10.1.0.0/16')",
      route: "both",
      scanned: 3,
      byAddress: 0,
    },
    {
      sql: "SELECT count(*) FROM flows WHERE src_addr << '10.1.0.0/16' OR proto = 6",
      route: "both",
      scanned: 3,
      byAddress: 0,
    },
    {
      sql: "SELECT count(*) FROM flows a WHERE a.src_addr << '10.1.0.0/16' UNION ALL SELECT count(*) FROM flows b",
      route: "both",
      scanned: 3,
      byAddress: 0,
    },
    {
      sql: "SELECT count(*) FROM flows f LEFT JOIN ref.exporters e ON e.address = f.exporter AND f.src_addr << '10.1.0.0/16'",
      route: "both",
      scanned: 3,
      byAddress: 0,
    },
  ];
  for (const c of cases) {
    it(c.sql, async () => {
      const outcome = await same(c.sql, c.params);
      expect(outcome.info.route).toBe(c.route);
      expect(outcome.info.filesScanned).toBe(c.scanned);
      expect(outcome.info.filesPrunedByAddress).toBe(c.byAddress);
    });
  }
});

describe("inet text functions print what Postgres prints", () => {
  const DAY3 = "ts >= '2026-03-03' AND ts < '2026-03-04'";
  const cases = [
    // Cold only: IPv6 edge forms.
    `SELECT host(dst_addr) AS h, dst_addr::text AS t, family(dst_addr) AS f, masklen(dst_addr) AS m, abbrev(dst_addr) AS a, dst_addr FROM flows WHERE ${DAY3}`,
    `SELECT host(src_addr), CAST(src_addr AS varchar) AS v, family(src_addr) FROM flows WHERE ts < '2026-03-02'`,
    `SELECT host(dst_addr), count(*) FROM flows WHERE ${DAY3} AND host(dst_addr) LIKE '::%' GROUP BY 1`,
    // Both tiers, merged partial aggregates and a hot slice.
    "SELECT host(dst_addr) AS h, count(*) AS n, sum(bytes) AS b FROM flows GROUP BY 1",
    "SELECT family(src_addr) AS fam, masklen(src_addr) AS len, count(*) FROM flows GROUP BY 1, 2",
    "SELECT count(DISTINCT host(dst_addr)) AS hosts, count(DISTINCT dst_addr::text) AS texts FROM flows",
    "SELECT src_addr::text AS t FROM flows WHERE src_addr <<= '10.2.0.0/16' OR ts >= '2026-03-04'",
    // Hot only.
    "SELECT host(dst_addr), dst_addr::text, family(dst_addr) FROM flows WHERE ts >= '2026-03-04'",
  ];
  for (const sql of cases) {
    it(sql, async () => {
      const outcome = await same(sql);
      expect(outcome.result.rows.length).toBeGreaterThan(0);
    });
  }

  it("covers the cold route and both tiers", async () => {
    expect((await gateway.query({ sql: cases[0] ?? "" })).info.route).toBe("cold");
    expect((await gateway.query({ sql: cases[3] ?? "" })).info.route).toBe("both");
  });
});

// The DuckDB rewrites, executed: the rewritten SQL runs in DuckDB (in-process) over a small
// flows table, and its answers are compared with values computed independently — JS Date
// arithmetic for UTC buckets, hand-checked DST instants and DuckDB's own zone-aware date_trunc
// for zoned buckets, and Node's net.BlockList for CIDR containment.
import { BlockList } from "node:net";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { parseSync } from "libpg-query";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSqlParser } from "./parser.ts";
import { rewriteSql } from "./rewrite.ts";

let instance: DuckDBInstance;
let db: DuckDBConnection;

interface Row {
  id: number;
  ms: number;
  address: string | null;
  family: 4 | 6;
  bytes: number[];
}

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DST_INSTANTS = [
  "2026-03-28T23:30:00Z",
  "2026-03-29T00:59:59.999Z",
  "2026-03-29T01:00:00Z",
  "2026-03-29T21:59:00Z",
  "2026-03-29T22:00:00Z",
  "2026-10-24T22:00:00Z",
  "2026-10-25T00:30:00Z",
  "2026-10-25T01:30:00Z",
  "2026-10-25T22:30:00Z",
  "2026-11-01T05:30:00Z",
  "2026-11-01T06:30:00Z",
];

const ROWS: Row[] = [];

function v4Row(id: number, ms: number, octets: number[]): Row {
  return { id, ms, address: octets.join("."), family: 4, bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...octets] };
}

function v6Row(id: number, ms: number, bytes: number[]): Row {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return { id, ms, address: groups.join(":"), family: 6, bytes };
}

beforeAll(async () => {
  await loadSqlParser();
  const random = rng(42);
  const start = Date.parse("2026-01-01T00:00:00Z");
  const year = 365 * 86_400_000;
  let id = 0;
  const times = [
    ...DST_INSTANTS.map((t) => Date.parse(t)),
    ...Array.from({ length: 400 }, () => start + Math.floor(random() * year)),
  ];
  for (const ms of times) {
    const pick = random();
    if (pick < 0.45) {
      // IPv4, biased toward the networks the tests query.
      const first = [10, 192, 172, 8][Math.floor(random() * 4)] ?? 10;
      const second = first === 192 ? 168 : Math.floor(random() * 4);
      ROWS.push(v4Row(id++, ms, [first, second, Math.floor(random() * 4), Math.floor(random() * 256)]));
    } else if (pick < 0.9) {
      const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
      if (random() < 0.6) bytes.splice(0, 4, 0x20, 0x01, 0x0d, 0xb8);
      if (random() < 0.5) bytes.splice(4, 4, 0, 0, 0, 1);
      ROWS.push(v6Row(id++, ms, bytes));
    } else {
      ROWS.push({ id: id++, ms, address: null, family: 4, bytes: [] });
    }
  }
  ROWS.push(v4Row(id++, start, [10, 1, 2, 3]));
  ROWS.push(v6Row(id++, start, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
  ROWS.push(v4Row(id++, start, [255, 255, 255, 255]));
  ROWS.push(v4Row(id++, start, [0, 0, 0, 0]));

  instance = await DuckDBInstance.create(":memory:");
  db = await instance.connect();
  await db.run("SET TimeZone = 'UTC'");
  await db.run("CREATE TABLE flows (id INTEGER, ts TIMESTAMPTZ, src_addr BLOB)");
  const values = ROWS.map((row) => {
    const blob =
      row.address === null ? "NULL" : `from_hex('${row.bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}')`;
    return `(${row.id}, make_timestamptz(${row.ms}::BIGINT * 1000), ${blob})`;
  });
  await db.run(`INSERT INTO flows VALUES ${values.join(", ")}`);
});

afterAll(() => {
  db?.closeSync();
  instance?.closeSync();
});

/** Runs `SELECT id, <expr> AS b FROM flows` rewritten for the zone; returns the SQL and id → bucket start (ms). */
async function buckets(expr: string, timeZone: string): Promise<{ sql: string; byId: Map<number, number> }> {
  const sql = rewriteSql(`SELECT id, ${expr} AS b FROM flows`, { timeZone });
  const reader = await db.runAndReadAll(`SELECT id, epoch_ms(b)::DOUBLE AS b FROM (${sql})`);
  const byId = new Map<number, number>();
  for (const row of reader.getRowObjects()) byId.set(Number(row.id), Number(row.b));
  expect(byId.size).toBe(ROWS.length);
  return { sql, byId };
}

const floorTo = (ms: number, width: number, origin = 0): number => Math.floor((ms - origin) / width) * width + origin;
const utcTrunc = (ms: number, unit: string): number => {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (unit) {
    case "month":
      return Date.UTC(y, m, 1);
    case "quarter":
      return Date.UTC(y, m - (m % 3), 1);
    case "year":
      return Date.UTC(y, 0, 1);
    case "week": {
      const dayStart = Date.UTC(y, m, d.getUTCDate());
      return dayStart - ((d.getUTCDay() + 6) % 7) * 86_400_000;
    }
    default:
      throw new Error(unit);
  }
};

describe("time bucket rewrites (UTC session)", () => {
  const MINUTE = 60_000;
  const ORIGIN_2000_01_03 = Date.parse("2000-01-03T00:00:00Z");
  it.each([
    ["time_bucket('1 minute', ts)", (ms: number) => floorTo(ms, MINUTE)],
    ["time_bucket('15 minutes', ts)", (ms: number) => floorTo(ms, 15 * MINUTE)],
    ["time_bucket('1 hour', ts)", (ms: number) => floorTo(ms, 60 * MINUTE)],
    ["time_bucket('1 day', ts)", (ms: number) => floorTo(ms, 1440 * MINUTE)],
    ["time_bucket('7 days', ts)", (ms: number) => floorTo(ms, 7 * 1440 * MINUTE, ORIGIN_2000_01_03)],
    ["time_bucket('90 seconds', ts)", (ms: number) => floorTo(ms, 90_000, ORIGIN_2000_01_03)],
    ["date_trunc('second', ts)", (ms: number) => floorTo(ms, 1000)],
    ["date_trunc('minute', ts)", (ms: number) => floorTo(ms, MINUTE)],
    ["date_trunc('hour', ts)", (ms: number) => floorTo(ms, 60 * MINUTE)],
    ["date_trunc('day', ts)", (ms: number) => floorTo(ms, 1440 * MINUTE)],
    ["date_trunc('week', ts)", (ms: number) => utcTrunc(ms, "week")],
    ["date_trunc('month', ts)", (ms: number) => utcTrunc(ms, "month")],
    ["date_trunc('quarter', ts)", (ms: number) => utcTrunc(ms, "quarter")],
    ["date_trunc('year', ts)", (ms: number) => utcTrunc(ms, "year")],
  ])("%s", async (expr, expected) => {
    const { sql, byId } = await buckets(expr, "UTC");
    for (const row of ROWS)
      expect(byId.get(row.id), `${expr} of ${new Date(row.ms).toISOString()}`).toBe(expected(row.ms));
    // Fixed widths take the fast integer form; calendar units a naive TIMESTAMP, never ICU.
    if (!/week|month|quarter|year/.test(expr) || expr.includes("7 days")) expect(sql).toContain("epoch_us(ts)");
    if (/month|quarter|year/.test(expr)) {
      expect(sql).toContain("make_timestamp(epoch_us(ts))");
      expect(sql).not.toContain("timezone(");
    }
  });

  it("matches DuckDB's own time_bucket on the 2000-01-03 origin", async () => {
    const { byId } = await buckets("time_bucket('7 days', ts)", "UTC");
    const native = await db.runAndReadAll(
      "SELECT id, epoch_ms(time_bucket(INTERVAL '7 days', ts))::DOUBLE AS b FROM flows",
    );
    for (const row of native.getRowObjects()) expect(byId.get(Number(row.id))).toBe(Number(row.b));
  });

  it("leaves month-wide time_bucket and other expressions alone", () => {
    const sql = rewriteSql(
      "SELECT time_bucket('1 month', ts), date_trunc('day', other_col), time_bucket('1 minute', ts, 'Europe/Paris') FROM flows",
      {
        timeZone: "UTC",
      },
    );
    expect(sql).toBe(
      "SELECT time_bucket('1 month', ts), date_trunc('day', other_col), time_bucket('1 minute', ts, 'Europe/Paris') FROM flows",
    );
  });
});

describe("time bucket rewrites in a non-UTC session", () => {
  /** DuckDB's native, zone-aware date_trunc under SET TimeZone: an independent implementation. */
  async function nativeTrunc(unit: string, zone: string): Promise<Map<number, number>> {
    const conn = await instance.connect();
    try {
      await conn.run(`SET TimeZone = '${zone}'`);
      const reader = await conn.runAndReadAll(`SELECT id, epoch_ms(date_trunc('${unit}', ts))::DOUBLE AS b FROM flows`);
      return new Map(reader.getRowObjects().map((row) => [Number(row.id), Number(row.b)]));
    } finally {
      conn.closeSync();
    }
  }

  it.each([
    ["day", "Europe/Paris"],
    ["week", "Europe/Paris"],
    ["month", "Europe/Paris"],
    ["hour", "Asia/Kolkata"],
    ["day", "America/New_York"],
    ["minute", "Asia/Kolkata"],
  ])("date_trunc('%s', ts) in %s equals DuckDB's zone-aware date_trunc", async (unit, zone) => {
    const { sql, byId } = await buckets(`date_trunc('${unit}', ts)`, zone);
    const native = await nativeTrunc(unit, zone);
    for (const row of ROWS)
      expect(byId.get(row.id), `${unit} ${zone} ${new Date(row.ms).toISOString()}`).toBe(native.get(row.id));
    // The cold engine's configuration is locked to UTC: the zone must be in the expression.
    if (unit === "minute") expect(sql).toContain("epoch_us(ts)");
    else expect(sql).toContain(`timezone('${zone}'`);
  });

  it.each([
    ["2026-03-28T23:30:00Z", "2026-03-28T23:00:00Z"],
    ["2026-03-29T00:59:59.999Z", "2026-03-28T23:00:00Z"],
    ["2026-03-29T21:59:00Z", "2026-03-28T23:00:00Z"],
    ["2026-03-29T22:00:00Z", "2026-03-29T22:00:00Z"],
    ["2026-10-25T00:30:00Z", "2026-10-24T22:00:00Z"],
    ["2026-10-25T22:30:00Z", "2026-10-24T22:00:00Z"],
  ])("Paris daily bucket of %s starts at %s (hand-checked DST)", async (instant, expected) => {
    const { byId } = await buckets("date_trunc('day', ts)", "Europe/Paris");
    const row = ROWS.find((r) => r.ms === Date.parse(instant));
    expect(row).toBeDefined();
    expect(byId.get(row?.id ?? -1)).toBe(Date.parse(expected));
  });

  it("honours an explicit zone argument in a UTC session", async () => {
    const { byId } = await buckets("date_trunc('day', ts, 'America/New_York')", "UTC");
    const native = await nativeTrunc("day", "America/New_York");
    for (const row of ROWS) expect(byId.get(row.id)).toBe(native.get(row.id));
    const row = ROWS.find((r) => r.ms === Date.parse("2026-11-01T05:30:00Z"));
    // 01:30 EDT on the fall-back day: the day began at 04:00Z (EDT).
    expect(byId.get(row?.id ?? -1)).toBe(Date.parse("2026-11-01T04:00:00Z"));
  });
});

describe("now() as a literal", () => {
  const NOW = BigInt(Date.parse("2026-03-28T23:30:00.123Z")) * 1000n + 456n;

  it.each([
    // In Paris it is already 29 March (00:30 CET) while UTC is still on the 28th.
    ["Europe/Paris", "2026-03-29", "2026-03-29 00:30:00.123456"],
    ["UTC", "2026-03-28", "2026-03-28 23:30:00.123456"],
    ["America/New_York", "2026-03-28", "2026-03-28 19:30:00.123456"],
  ])("in %s", async (timeZone, date, wall) => {
    const sql = rewriteSql(
      "SELECT epoch_us(now()) AS n, epoch_us(current_timestamp) AS c, current_date::varchar AS d, localtimestamp::varchar AS l",
      { timeZone, now: NOW },
    );
    const row = (await db.runAndReadAll(sql)).getRowObjects()[0];
    expect(BigInt(String(row?.n))).toBe(NOW);
    expect(BigInt(String(row?.c))).toBe(NOW);
    expect(row?.d).toBe(date);
    expect(row?.l).toBe(wall);
  });

  it("keeps the column names", async () => {
    const sql = rewriteSql("SELECT now(), current_date, current_timestamp", { timeZone: "UTC", now: NOW });
    expect((await db.runAndReadAll(sql)).columnNames()).toEqual(["now", "current_date", "current_timestamp"]);
  });
});

describe("address rewrites", () => {
  /** Expected ids from Node's BlockList (an independent CIDR implementation). */
  function expectedIds(net: string, prefix: number, family: 4 | 6, op: "contained" | "equal" | "not-equal"): number[] {
    const list = new BlockList();
    list.addSubnet(net, prefix, family === 4 ? "ipv4" : "ipv6");
    return ROWS.filter((row) => {
      if (row.address === null) return false;
      const inside = row.family === family && list.check(row.address, family === 4 ? "ipv4" : "ipv6");
      if (op === "contained") return inside;
      const full = family === 4 ? 32 : 128;
      const same = inside && prefix === full;
      return op === "equal" ? same : !same;
    }).map((row) => row.id);
  }

  async function selectIds(where: string): Promise<{ sql: string; ids: number[] }> {
    const sql = rewriteSql(`SELECT id FROM flows WHERE ${where} ORDER BY id`, { timeZone: "UTC" });
    const reader = await db.runAndReadAll(sql);
    return { sql, ids: reader.getRowObjects().map((row) => Number(row.id)) };
  }

  it.each([
    ["src_addr << '10.0.0.0/8'", "10.0.0.0", 8, 4, "contained"],
    ["src_addr <<= '10.1.2.0/24'", "10.1.2.0", 24, 4, "contained"],
    ["src_addr << '10.1.2.77/16'::inet", "10.1.0.0", 16, 4, "contained"],
    ["'192.168.0.0/16' >> src_addr", "192.168.0.0", 16, 4, "contained"],
    ["'172.0.0.0/6'::cidr >>= src_addr", "172.0.0.0", 6, 4, "contained"],
    ["src_addr <<= '0.0.0.0/0'", "0.0.0.0", 0, 4, "contained"],
    ["src_addr << '2001:db8::/32'", "2001:db8::", 32, 6, "contained"],
    ["src_addr << '2001:db8:0:1::/64'", "2001:db8:0:1::", 64, 6, "contained"],
    ["src_addr <<= '::/0'", "::", 0, 6, "contained"],
    ["src_addr = '10.1.2.3'", "10.1.2.3", 32, 4, "equal"],
    ["src_addr = '2001:db8::1'::inet", "2001:db8::1", 128, 6, "equal"],
    ["'255.255.255.255' = src_addr", "255.255.255.255", 32, 4, "equal"],
    ["src_addr <> '10.1.2.3'", "10.1.2.3", 32, 4, "not-equal"],
  ] as const)("%s", async (where, net, prefix, family, op) => {
    const { sql, ids } = await selectIds(where);
    expect(sql).toMatch(/blob/i);
    const expected = expectedIds(net, prefix, family, op);
    expect(ids).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  it("IPv6 networks never match IPv4 rows, which the encoding keeps in ::ffff:0:0/96", async () => {
    expect((await selectIds("src_addr <<= '::/0'")).ids.length).toBe(
      ROWS.filter((r) => r.address !== null && r.family === 6).length,
    );
    expect((await selectIds("src_addr << '::ffff:0:0/96'")).ids).toEqual([]);
    expect((await selectIds("src_addr = '::ffff:10.1.2.3'")).ids).toEqual([]);
    expect((await selectIds("src_addr <<= '::ffff:10.0.0.0/104'")).ids).toEqual([]);
  });

  it("a host network contains nothing strictly", async () => {
    expect((await selectIds("src_addr << '10.1.2.3/32'")).ids).toEqual([]);
    expect((await selectIds("src_addr <<= '10.1.2.3/32'")).ids).toEqual(expectedIds("10.1.2.3", 32, 4, "equal"));
  });

  it("rewrites IN lists of addresses", async () => {
    const hosts = [...expectedIds("10.1.2.3", 32, 4, "equal"), ...expectedIds("2001:db8::1", 128, 6, "equal")].sort(
      (a, b) => a - b,
    );
    const list = "('10.1.2.3', '2001:db8::1'::inet, '10.0.0.0/8', '::ffff:10.1.2.3')";
    expect((await selectIds(`src_addr IN ${list}`)).ids).toEqual(hosts);
    const others = ROWS.filter((r) => r.address !== null && !hosts.includes(r.id)).map((r) => r.id);
    expect((await selectIds(`src_addr NOT IN ${list}`)).ids).toEqual(others);
    expect((await selectIds("src_addr IN ('10.0.0.0/8')")).ids).toEqual([]);
  });

  it("keeps Postgres's output column names", async () => {
    const sql = rewriteSql(
      "SELECT time_bucket('1 minute', ts), src_addr << '10.0.0.0/8', date_trunc('day', ts)::date, date_trunc('hour', ts) AS h FROM flows LIMIT 1",
      { timeZone: "UTC" },
    );
    const reader = await db.runAndReadAll(sql);
    expect(reader.columnNames()).toEqual(["time_bucket", "?column?", "date_trunc", "h"]);
  });

  it("leaves non-literal and non-address comparisons alone", () => {
    expect(rewriteSql("SELECT * FROM flows WHERE src_addr = dst_addr AND bytes = 5", { timeZone: "UTC" })).toBe(
      "SELECT * FROM flows WHERE src_addr = dst_addr AND bytes = 5",
    );
  });
});

describe("deparse fidelity", () => {
  // The cold engine runs the deparsed tree, never the client's text, so what was checked is
  // what runs: the deparsed SQL must parse back to the same tree.
  // Positions differ, and `interval '1 day'` comes back as `'1 day'::interval` (the same
  // built-in type, named without its pg_catalog schema).
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.filter((v) => JSON.stringify(v) !== '{"String":{"sval":"pg_catalog"}}').map(strip);
    }
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(
          ([key]) =>
            ![
              "location",
              "stmt_location",
              "stmt_len",
              "rexpr_list_start",
              "rexpr_list_end",
              "list_start",
              "list_end",
            ].includes(key),
        )
        .map(([key, child]) => [key, strip(child)]),
    );
  };
  it.each([
    "SELECT count(*) FROM flows WHERE ts >= now() - interval '7 days' AND proto = ANY (ARRAY[6, 17])",
    "SELECT 'it''s' AS s, $$dollar ' quoted$$ AS d, E'tab\\there' AS e, \"Mixed Case\" FROM flows AS \"F\"",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) SELECT * FROM n",
    "SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY bytes), count(*) FILTER (WHERE bytes > 10) FROM flows",
    "SELECT src_addr, sum(bytes) OVER (PARTITION BY exporter ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) FROM flows",
    "SELECT e.x, t.* FROM (SELECT DISTINCT exporter AS x FROM flows) e, LATERAL (SELECT dst_port FROM flows f WHERE f.exporter = e.x LIMIT 3) t",
    "SELECT * FROM (VALUES (80, 'http'), (443, 'https')) AS p(port, name) ORDER BY 1 DESC NULLS LAST LIMIT 5 OFFSET 1",
    "SELECT CASE WHEN proto = 6 THEN 'tcp' WHEN proto = 17 THEN 'udp' ELSE 'other' END, ts AT TIME ZONE 'UTC' FROM flows",
    "SELECT src_addr FROM flows INTERSECT SELECT dst_addr FROM flows EXCEPT SELECT '10.0.0.1'::inet",
    "SELECT proto, count(*) FROM flows GROUP BY GROUPING SETS ((proto), ()) HAVING count(*) > 1",
    "SELECT * FROM flows WHERE ts BETWEEN SYMMETRIC '2026-01-02' AND '2026-01-01' AND dst_port NOT IN (22, 23) AND tos IS NOT NULL",
    "SELECT x::numeric(10, 2), interval '1 hour' * 3, (bytes / 8)::bigint FROM flows",
  ])("%s", (sql) => {
    const out = rewriteSql(sql, { timeZone: "UTC" });
    expect(strip(parseSync(out))).toEqual(strip(parseSync(sql)));
  });
});

// The canonical row hash computed four ways over the same rows: Postgres
// (generated SQL, on the embedded TimescaleDB), Node (node:crypto over the
// canonical texts the export streams — what the archive job uses), DuckDB
// (generated SQL over the Parquet files our export wrote), and Python hashlib
// over rows read by psycopg2 and by pyarrow. Edge cases: NULLs,
// IPv4/IPv6/mapped addresses, netmasks, extreme bigints, microsecond
// timestamps, both booleans.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { encodeAddress } from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportChunk } from "../archive/export.ts";
import { duckdbChecksum } from "../archive/verify.ts";
import { listHotChunks } from "../hot/chunks.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { ensureFlowsTable } from "../warehouse/warehouse.ts";
import {
  type Checksum,
  pgCanonicalTextExpr,
  pgChecksumSql,
  pgHashOfText,
  pgRowHashExpr,
  rowHashOfText,
  TextChecksum,
} from "./row-hash.ts";

const run = promisify(execFile);

async function pythonChecksums(
  args: object,
): Promise<{ pg?: { n: string; s: string }; parquet?: { n: string; s: string } }> {
  const script = fileURLToPath(new URL("./row_hash_reference.py", import.meta.url));
  const { stdout } = await run("python3", [script, JSON.stringify(args)], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
}

const kind = (c: (typeof FLOW_COLUMNS)[number]): string =>
  c.pgType === "inet"
    ? "address"
    : c.pgType === "timestamptz"
      ? "timestamptz"
      : c.pgType === "boolean"
        ? "boolean"
        : "int";

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv();
  await env.su.query(`
    INSERT INTO flows (ts, ts_end, exporter, in_if, out_if, src_addr, dst_addr, src_port, dst_port, proto, tos, tcp_flags,
                       packets, bytes, src_as, dst_as, sampling_rate, ts_clamped) VALUES
    ('2026-01-01 00:00:00.123456+00', NULL, '192.0.2.1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, 1, false),
    ('2026-01-01 01:00:00+00', '2026-01-01 01:00:05+00', '2001:db8::1', 4294967295, 0, '10.0.0.1/8', '::ffff:1.2.3.4', 65535, 0, 6, 255, 255,
      9223372036854775807, 9223372036854775807, 4294967295, 0, 1000, true),
    ('2026-01-01 02:00:00+00', '2026-01-01 02:00:00+00', '0.0.0.0', -1, -9223372036854775808, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::', 1, 2, 17, 0, 0,
      -9223372036854775808, 1, -1, 4200000000, 0, false),
    ('2026-01-02 03:00:00.000001+00', NULL, '255.255.255.255', 1, 2, '1.2.3.4', '2001:db8::ff', 443, 51000, 1, NULL, NULL, 1, 2, 3, 4, 5, true),
    -- an exact duplicate: the sum must count it twice (XOR would cancel it)
    ('2026-01-02 03:00:00.000001+00', NULL, '255.255.255.255', 1, 2, '1.2.3.4', '2001:db8::ff', 443, 51000, 1, NULL, NULL, 1, 2, 3, 4, 5, true)
  `);
  // Plus ordinary synthetic rows over both days.
  await env.su.query(`
    INSERT INTO flows (ts, exporter, src_addr, dst_addr, src_port, dst_port, proto, packets, bytes, sampling_rate)
    SELECT '2026-01-01'::timestamptz + i * interval '17 seconds' + (i % 1000) * interval '1 microsecond',
           CASE WHEN i % 3 = 0 THEN '192.0.2.7'::inet ELSE '2001:db8::7'::inet END,
           ('10.' || (i % 250) || '.' || (i / 250 % 250) || '.1')::inet,
           CASE WHEN i % 5 = 0 THEN NULL ELSE ('2001:db8:' || to_hex(i) || '::1')::inet END,
           i % 65536, (i * 7) % 65536, (ARRAY[6, 17, 1])[i % 3 + 1], i, i::bigint * 1500, 1
    FROM generate_series(1, 6000) i`);
}, 180_000);

afterAll(async () => {
  await env?.stop();
});

describe("canonical row hash", () => {
  it("Postgres, DuckDB over our Parquet, and Python (psycopg2 + pyarrow) agree", async () => {
    const pg = (await env.su.query<{ n: string; s: string }>(pgChecksumSql("flows"))).rows[0]!;
    expect(pg.n).toBe("6005");

    const table = await ensureFlowsTable(env.deps.ctx, env.config.warehouse);
    const files: string[] = [];
    let exported: Checksum = { count: 0n, sum: 0n };
    for (const chunk of await listHotChunks(env.pool)) {
      const r = await exportChunk(env.deps.ctx, table, chunk, {
        pgUrl: env.archiverUrl,
        batchRows: 1000,
        targetFileSizeBytes: 1 << 30,
        rowGroupRows: 1000,
        estimatedRows: 6005,
      });
      files.push(...r.files.map((f) => fileURLToPath(f.filePath)));
      exported = { count: exported.count + r.checksum.count, sum: exported.sum + r.checksum.sum };
    }
    // The export's checksum (hashed in Node by the reader thread) equals Postgres' own sum.
    expect(exported).toEqual({ count: 6005n, sum: BigInt(pg.s) });

    const duck = await duckdbChecksum(files);
    expect(duck).toEqual({ count: 6005n, sum: BigInt(pg.s) });

    const cols = FLOW_COLUMNS.map((c) => ({ name: c.name, kind: kind(c) }));
    const py = await pythonChecksums({
      columns: cols,
      pg_dsn: env.superUrl,
      pg_sql: `SELECT ${FLOW_COLUMNS.map((c) => `"${c.name}"`).join(", ")} FROM flows`,
      parquet_files: files,
    });
    expect(py.pg).toEqual({ n: "6005", s: pg.s });
    expect(py.parquet).toEqual({ n: "6005", s: pg.s });
  });

  it("Node's row hash equals Postgres' md5 row by row, and its sum Postgres' sum", async () => {
    const r = await env.su.query<{ c: string; h: string }>(
      `SELECT c, ${pgHashOfText("c")}::text AS h FROM (SELECT ${pgCanonicalTextExpr()} AS c FROM flows) s`,
    );
    expect(r.rows.length).toBe(6005);
    const node = new TextChecksum();
    let pgSum = 0n;
    for (const row of r.rows) {
      expect(rowHashOfText(row.c), row.c).toBe(BigInt(row.h));
      node.add(row.c);
      pgSum += BigInt(row.h);
    }
    expect(node.result()).toEqual({ count: 6005n, sum: pgSum });
  });

  it("Node's batched sum equals the BigInt sum across fold boundaries; md5 matches RFC 1321", () => {
    const texts = Array.from({ length: 10_003 }, (_, i) => `row ${i}|\\N`);
    let expected = 0n;
    for (const t of texts) expected += rowHashOfText(t);
    for (const foldEvery of [1, 7, 4096, 1 << 20]) {
      const c = new TextChecksum(foldEvery);
      for (const t of texts) c.add(t);
      expect(c.result()).toEqual({ count: BigInt(texts.length), sum: expected });
    }
    // Independent of Node: md5("") = d41d8cd98f00b204…, md5("a") = 0cc175b9c0f1b6a8… (RFC 1321 test suite).
    expect(rowHashOfText("")).toBe(BigInt.asIntN(64, 0xd41d8cd98f00b204n));
    expect(rowHashOfText("a")).toBe(BigInt.asIntN(64, 0x0cc175b9c0f1b6a8n));
    expect(rowHashOfText("message digest")).toBe(BigInt.asIntN(64, 0xf96b697d7cb7938dn));
  });

  it("Postgres' address encoding is the iceberg library's encodeAddress", async () => {
    const addrs = [
      "0.0.0.0",
      "1.2.3.4",
      "255.255.255.255",
      "::",
      "::1",
      "2001:db8::ff",
      "::ffff:1.2.3.4",
      "fe80::1:2:3:4",
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ];
    const col = FLOW_COLUMNS.find((c) => c.name === "src_addr")!;
    const expr = pgCanonicalTextExpr().split(" || '|' || ")[FLOW_COLUMNS.indexOf(col)]!.replaceAll('"src_addr"', "a");
    const r = await env.su.query<{ h: string }>(`SELECT ${expr} AS h FROM unnest($1::inet[]) a`, [addrs]);
    expect(r.rows.map((x) => x.h)).toEqual(addrs.map((a) => Buffer.from(encodeAddress(a)).toString("hex")));
  });

  it("a changed value, a dropped row or a duplicated row changes the checksum", async () => {
    const sum = async (where: string): Promise<string> =>
      (await env.su.query<{ s: string }>(`SELECT coalesce(sum(${pgRowHashExpr()}), 0)::text AS s FROM flows ${where}`))
        .rows[0]!.s;
    const all = await sum("");
    const withoutOne = await sum("WHERE NOT (ts = '2026-01-01 00:00:00.123456+00')");
    expect(withoutOne).not.toBe(all);
    // The duplicate pair contributes twice its hash.
    const dup = await sum("WHERE ts = '2026-01-02 03:00:00.000001+00'");
    const one = (
      await env.su.query<{ h: string }>(
        `SELECT ${pgRowHashExpr()}::text AS h FROM flows WHERE ts = '2026-01-02 03:00:00.000001+00' LIMIT 1`,
      )
    ).rows[0]!.h;
    expect(BigInt(dup)).toBe(2n * BigInt(one));
    expect(BigInt(dup)).not.toBe(0n);
  });
});

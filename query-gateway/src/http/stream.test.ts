// Streaming results over HTTP: results larger than one engine batch (Postgres FETCH batches on
// the hot route, DuckDB chunks on the cold and both routes) come out whole and equal to
// TimescaleDB's answer in JSON, CSV and Arrow; a failure after the first rows is visible to the
// client (JSON error trailer; CSV/Arrow transfer cut off), and a client that stops reading does
// not hold the hot transaction past the query's deadline.
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { tableFromIPC } from "apache-arrow";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "../config.ts";
import type { Value } from "../engine/engine.ts";
import { fromPgText, pgValueType } from "../engine/values.ts";
import { Gateway } from "../gateway.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "../tiers/fixture.ts";
import { createApp } from "./app.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const TOKEN = "stream-token";
const AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const HOT_BATCH = 100;

let fixture: TierFixture;
let gateway: Gateway;
let limited: Gateway;
let app: Hono;
let limitedApp: Hono;
let server: ServerType;
let base: string;
const dirs: string[] = [];

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert(flowDataset(FIRST_DAY, 2, 1400, 11));
  await fixture.archive(FIRST_DAY, FIRST_DAY + DAY_US);
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "gateway-stream-"));
    dirs.push(d);
    return d;
  };
  const common = { pgUrl: fixture.readerUrl, warehouse: fixture.warehouse, streamBatchRows: HOT_BATCH };
  gateway = new Gateway(gatewayConfig({ ...common, cacheDir: dir() }));
  // A row limit between the first read-ahead and the end of the big results; a short deadline.
  limited = new Gateway(gatewayConfig({ ...common, cacheDir: dir(), rowLimit: 1000, queryTimeoutMs: 1500 }));
  await gateway.start();
  await limited.start();
  app = createApp(gateway, { tokens: [TOKEN] });
  limitedApp = createApp(limited, { tokens: [TOKEN] });
  server = serve({ fetch: limitedApp.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await gateway?.stop();
  await limited?.stop();
  await fixture?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const post = (target: Hono, body: unknown) =>
  target.request("/api/query", { method: "POST", headers: AUTH, body: JSON.stringify(body) });

async function reference(sql: string): Promise<Value[][]> {
  const result = await fixture.reference(sql, "UTC");
  const types = result.fields.map((f) => pgValueType(f.dataTypeID));
  return result.rows.map((row) => row.map((v, i) => fromPgText(types[i] ?? "unknown", v ?? null)));
}

interface JsonBody {
  columns: { name: string }[];
  rows: Value[][];
  rowCount: number;
  complete: boolean;
  route: string;
  strategy: string;
  files: { scanned: number; pruned: number };
  timingsMs: { total: number };
  error?: { kind: string; error: string };
}

const DAY2 = "2026-03-02";
const CASES = [
  {
    route: "hot",
    sql: `SELECT ts, exporter, src_addr, dst_port, bytes FROM flows WHERE ts >= '${DAY2}' ORDER BY ts, exporter, bytes, src_addr NULLS FIRST`,
  },
  {
    // Three copies of each cold row: more than one DuckDB chunk (2048 rows).
    route: "cold",
    sql: `SELECT f.ts, g.n, f.dst_addr, f.bytes FROM flows f, generate_series(1, 3) AS g(n) WHERE f.ts < '${DAY2}' ORDER BY f.ts, g.n, f.exporter, f.bytes`,
  },
  {
    route: "both",
    sql: "SELECT ts, exporter, bytes, proto FROM flows ORDER BY ts, exporter, bytes",
  },
] as const;

describe("large results stream whole and equal TimescaleDB's answer", () => {
  for (const c of CASES) {
    it(`${c.route}: json, csv and arrow`, async () => {
      const expected = await reference(c.sql);
      expect(expected.length).toBeGreaterThan(c.route === "hot" ? 10 * HOT_BATCH : 2048);

      const res = await post(app, { sql: c.sql });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-gateway-route")).toBe(c.route);
      // Too big to be read ahead whole: the row count comes in the trailer only.
      expect(res.headers.get("x-gateway-row-count")).toBeNull();
      const body = (await res.json()) as JsonBody;
      expect(body.route).toBe(c.route);
      expect(body.complete).toBe(true);
      expect(body.rowCount).toBe(expected.length);
      expect(body.rows).toEqual(expected);
      expect(body.timingsMs.total).toBeGreaterThan(0);

      const csv = await post(app, { sql: c.sql, format: "csv" });
      const lines = (await csv.text()).split("\r\n");
      expect(lines.pop()).toBe("");
      expect(lines.length).toBe(expected.length + 1);
      expect(lines.slice(1)).toEqual(expected.map((r) => r.map((v) => (v === null ? "" : String(v))).join(",")));

      const arrow = await post(app, { sql: c.sql, format: "arrow" });
      const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
      expect(table.numRows).toBe(expected.length);
      expect(table.batches.length).toBeGreaterThan(1);
      const names = body.columns.map((col) => col.name);
      const last = expected[expected.length - 1] ?? [];
      const lastRow = table.get(table.numRows - 1)?.toJSON() as Record<string, unknown>;
      expect(names.map((n, i) => (typeof last[i] === "number" ? Number(lastRow[n]) : lastRow[n]))).toEqual(last);
    }, 60_000);
  }

  it("a small result carries its row count in a header and ends the hot transaction before the body", async () => {
    const res = await post(app, { sql: "SELECT exporter, count(*) AS n FROM flows GROUP BY 1 ORDER BY 1" });
    expect(res.headers.get("x-gateway-row-count")).toBe("3");
    const tiers = await gateway.tiers(); // would wait for an open hot transaction on the embedded engine
    expect(tiers.hotChunks.length).toBe(1);
    expect(((await res.json()) as JsonBody).rowCount).toBe(3);
  });
});

describe("errors before the first row", () => {
  it("positions point into the client's SQL, also when the cursor opens in the cut's first round trip", async () => {
    // The first query reads the tier state in full and caches it; the second opens its cursor beside the pointer.
    for (let i = 0; i < 2; i++) {
      const sql = "SELECT ts, no_such_column FROM flows WHERE ts >= '2026-03-02'";
      const res = await post(app, { sql });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { position?: number; error: string };
      expect(body.error).toMatch(/no_such_column/);
      expect(body.position).toBe(sql.indexOf("no_such_column") + 1);
    }
  });
});

describe("failures after the first rows are visible", () => {
  const big = CASES[0].sql;

  it("json: an error trailer, complete=false", async () => {
    const res = await post(limitedApp, { sql: big });
    expect(res.status).toBe(200);
    const body = (await res.json()) as JsonBody;
    expect(body.complete).toBe(false);
    expect(body.error).toMatchObject({ kind: "limit", error: "the result has more than 1000 rows" });
    expect(body.rows.length).toBeLessThanOrEqual(1000);
    expect(body.rows.length).toBeGreaterThan(0);
  });

  it("json: an engine error in a later FETCH", async () => {
    // Division by zero only at the last hot row, far past the first read-ahead.
    const [last] = await reference(`SELECT max(ts) FROM flows WHERE ts >= '${DAY2}'`);
    const sql = `SELECT ts, 1 / (CASE WHEN ts = '${String(last?.[0])}' THEN 0 ELSE 1 END) AS x FROM flows WHERE ts >= '${DAY2}' ORDER BY ts`;
    const res = await post(app, { sql });
    expect(res.status).toBe(200);
    const body = (await res.json()) as JsonBody;
    expect(body.complete).toBe(false);
    expect(body.error).toMatchObject({ kind: "query" });
    expect(body.error?.error).toMatch(/division by zero/);
    expect(body.rows.length).toBeGreaterThan(2 * HOT_BATCH);
  });

  it("csv and arrow over real HTTP: the transfer fails instead of ending short", async () => {
    for (const format of ["csv", "arrow"]) {
      const res = await fetch(`${base}/api/query`, {
        method: "POST",
        headers: AUTH,
        body: JSON.stringify({ sql: big, format }),
      });
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer(), format).rejects.toThrow();
    }
    // The gateway keeps serving.
    const ok = await fetch(`${base}/api/query`, { method: "POST", headers: AUTH, body: '{"sql":"SELECT 1 AS one"}' });
    expect(((await ok.json()) as JsonBody).rows).toEqual([[1]]);
  });

  it("a reader that stops reading does not hold the hot transaction past the deadline", async () => {
    const res = await fetch(`${base}/api/query`, {
      method: "POST",
      headers: AUTH,
      // ~9 MB: more than the socket buffers take, so the server must wait for the reader.
      body: JSON.stringify({
        sql: `SELECT ts, repeat('x', 10000) AS pad FROM flows WHERE ts >= '${DAY2}' ORDER BY ts LIMIT 900`,
      }),
    });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    await reader?.read();
    // Not reading on: after the 1.5 s deadline the stream fails and its transaction ends.
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    const tiers = await limited.tiers();
    expect(tiers.hotChunks.length).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
    await reader?.cancel();
    expect(limited.metricsText()).toMatch(/gateway_queries_total\{route="hot",outcome="timeout"\} [1-9]/);
  });
});

// HTTP API in-process (Hono app.request()) over a real gateway: embedded TimescaleDB with one
// archived day in a file:// Iceberg warehouse and one hot day.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "../config.ts";
import { Gateway } from "../gateway.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "../tiers/fixture.ts";
import { createApp } from "./app.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const TOKEN = "test-token-1";
const AUTH = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

let fixture: TierFixture;
let gateway: Gateway;
let strict: Gateway;
let app: Hono;
let strictApp: Hono;
const dirs: string[] = [];

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert(flowDataset(FIRST_DAY, 2, 120, 3));
  await fixture.archive(FIRST_DAY, FIRST_DAY + DAY_US);
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), "gateway-http-"));
    dirs.push(d);
    return d;
  };
  gateway = new Gateway(
    gatewayConfig({
      pgUrl: fixture.readerUrl,
      warehouse: fixture.warehouse,
      cacheDir: dir(),
      rowLimit: 100,
      hotSliceRowLimit: 50,
    }),
  );
  // One query at a time, none queued, a short time limit: for the busy and timeout answers.
  strict = new Gateway(
    gatewayConfig({
      pgUrl: fixture.readerUrl,
      warehouse: fixture.warehouse,
      cacheDir: dir(),
      maxConcurrent: 1,
      maxQueued: 0,
      queryTimeoutMs: 700,
    }),
  );
  await gateway.start();
  await strict.start();
  app = createApp(gateway, { tokens: ["other-token", TOKEN] });
  strictApp = createApp(strict, { tokens: [TOKEN] });
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await strict?.stop();
  await fixture?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const post = (target: Hono, path: string, body: unknown, headers: Record<string, string> = AUTH) =>
  target.request(path, { method: "POST", headers, body: JSON.stringify(body) });

describe("authentication", () => {
  it("healthz needs no token", async () => {
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("everything else needs a valid bearer token", async () => {
    for (const [path, method] of [
      ["/api/query", "POST"],
      ["/api/explain", "POST"],
      ["/api/tiers", "GET"],
      ["/metrics", "GET"],
      ["/api/openapi.json", "GET"],
    ] as const) {
      for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${TOKEN}` }] as Record<
        string,
        string
      >[]) {
        const res = await app.request(path, { method, headers, ...(method === "POST" ? { body: "{}" } : {}) });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect((await res.json()) as object).toMatchObject({ error: "unauthorized" });
      }
    }
  });
});

describe("POST /api/query", () => {
  it("json: rows, route, files and timings", async () => {
    const res = await post(app, "/api/query", { sql: "SELECT count(*) AS n, sum(bytes) AS b FROM flows" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    const expected = await fixture.reference("SELECT count(*) AS n, sum(bytes) AS b FROM flows", "UTC");
    expect(body.rows).toEqual([[Number(expected.rows[0]?.[0]), Number(expected.rows[0]?.[1])]]);
    expect(body.columns).toEqual([
      { name: "n", type: "bigint" },
      { name: "b", type: "numeric" },
    ]);
    expect(body).toMatchObject({ route: "both", strategy: "partial-aggregate", engines: ["timescale", "duckdb"] });
    expect(body.files).toEqual({ scanned: 1, pruned: 0, prunedByAddress: 0 });
    expect((body.timingsMs as { total: number }).total).toBeGreaterThan(0);
    expect(res.headers.get("server-timing")).toMatch(/total;dur=/);
  });

  it("params and timeZone reach both tiers", async () => {
    const sql = "SELECT date_trunc('day', ts) AS d, count(*) FROM flows WHERE dst_port = $1 GROUP BY 1 ORDER BY 1";
    const res = await post(app, "/api/query", { sql, params: [443], timeZone: "Europe/Berlin" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: unknown[][] };
    const expected = await fixture.reference(sql, "Europe/Berlin", ["443"]);
    expect(body.rows.map((r) => r[1])).toEqual(expected.rows.map((r) => Number(r[1])));
    expect(body.rows[0]?.[0]).toBe("2026-02-28T23:00:00Z");
  });

  it("csv with metadata headers", async () => {
    const res = await post(app, "/api/query", {
      sql: "SELECT exporter, count(*) AS n FROM flows WHERE ts < '2026-03-02' GROUP BY 1 ORDER BY 1",
      format: "csv",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("x-gateway-route")).toBe("cold");
    const lines = (await res.text()).trim().split("\r\n");
    expect(lines[0]).toBe("exporter,n");
    const expected = await fixture.reference(
      "SELECT exporter, count(*) AS n FROM flows WHERE ts < '2026-03-02' GROUP BY 1 ORDER BY 1",
      "UTC",
    );
    expect(lines.slice(1)).toEqual(expected.rows.map((r) => `${r[0]},${r[1]}`));
  });

  it("arrow IPC stream", async () => {
    const res = await post(app, "/api/query", {
      sql: "SELECT dst_addr, sum(bytes) AS b, count(*) AS n FROM flows GROUP BY 1 ORDER BY b DESC, 1 LIMIT 5",
      format: "arrow",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.numRows).toBe(5);
    const expected = await fixture.reference(
      "SELECT dst_addr, sum(bytes) AS b, count(*) AS n FROM flows GROUP BY 1 ORDER BY b DESC, 1 LIMIT 5",
      "UTC",
    );
    expect(table.toArray().map((r) => [r.dst_addr, Number(r.b), Number(r.n)])).toEqual(
      expected.rows.map((r) => [r[0], Number(r[1]), Number(r[2])]),
    );
  });

  it("syntax errors carry the position", async () => {
    const res = await post(app, "/api/query", { sql: "SELECT count(* FROM flows" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "42601", kind: "syntax" });
    expect(body.position).toBe(16);
  });

  it("refusals are clear and the gateway keeps serving", async () => {
    for (const sql of [
      "DROP TABLE flows",
      "SELECT pg_read_file('/etc/passwd')",
      "SELECT * FROM read_parquet('/etc/passwd')",
      "COPY flows TO '/tmp/x'",
      "SELECT 1; SELECT 2",
      "SET search_path = evil",
    ]) {
      const res = await post(app, "/api/query", { sql });
      expect([400, 403], sql).toContain(res.status);
      const body = (await res.json()) as Record<string, unknown>;
      expect(typeof body.error, sql).toBe("string");
      expect(body.kind, sql).toMatch(/refused|syntax/);
    }
    for (const sql of [
      "SELECT 1 AS one",
      "SELECT 1 AS one;",
      "/* c */ SELECT 1 AS one; -- done",
      "SELECT 1 AS one -- done",
    ]) {
      const ok = await post(app, "/api/query", { sql });
      expect(await ok.json(), sql).toMatchObject({ rows: [[1]] });
    }
  });

  it("engine errors speak about the query and leak no paths", async () => {
    for (const sql of [
      "SELECT no_such_column FROM flows WHERE ts < '2026-03-02'",
      "SELECT no_such_column FROM flows WHERE ts >= '2026-03-02'",
    ]) {
      const res = await post(app, "/api/query", { sql });
      expect(res.status, sql).toBe(400);
      const text = await res.text();
      expect(text).toMatch(/no_such_column/);
      expect(text).not.toMatch(/\/tmp|\.parquet|postgres:\/\//);
    }
  });

  it("row limit and hot-slice limit fail with clear errors", async () => {
    const big = await post(app, "/api/query", { sql: "SELECT ts FROM flows WHERE ts >= '2026-03-02'" });
    expect(big.status).toBe(422);
    expect(await big.json()).toMatchObject({ kind: "limit", error: "the result has more than 100 rows" });
    // Not decomposable and spanning: the hot rows would have to move, more than 50 of them.
    const slice = await post(app, "/api/query", { sql: "SELECT count(DISTINCT src_addr) FROM flows" });
    expect(slice.status).toBe(422);
    expect(((await slice.json()) as { error: string }).error).toMatch(/hot rows/);
  });

  it("timeouts and the concurrency limit", async () => {
    // Cold only, slow in DuckDB: the DuckDB side of the time limit (interrupt). The hot side's
    // statement_timeout does not fire on the embedded engine; see timescale.ts.
    const slow = {
      sql: "SELECT sum((g.n * f.bytes) % 7) FROM flows f, generate_series(1, 20000000) AS g(n) WHERE f.ts < '2026-03-02'",
    };
    const first = post(strictApp, "/api/query", slow);
    await new Promise((r) => setTimeout(r, 100));
    const second = await post(strictApp, "/api/query", { sql: "SELECT 1" });
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(await second.json()).toMatchObject({ kind: "busy", retryable: true });
    const timedOut = await first;
    expect(timedOut.status).toBe(504);
    expect(await timedOut.json()).toMatchObject({ kind: "timeout" });
    const after = await post(strictApp, "/api/query", { sql: "SELECT 2 AS two" });
    expect(after.status).toBe(200);
  });

  it("bad request bodies", async () => {
    for (const body of [[], { sql: 1 }, { sql: "SELECT 1", format: "xml" }, { sql: "SELECT 1", params: [{}] }]) {
      const res = await post(app, "/api/query", body);
      expect(res.status).toBe(400);
    }
  });
});

describe("explain, tiers, metrics, openapi", () => {
  it("explain shows the route and the SQL per engine without running it", async () => {
    const res = await post(app, "/api/explain", {
      sql: "SELECT time_bucket('1 minute', ts) AS m, count(*) FROM flows GROUP BY 1",
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { route: string; strategy: string; sql: Record<string, string> };
    expect(body.route).toBe("both");
    expect(body.strategy).toBe("partial-aggregate");
    expect(body.sql.cold).toMatch(/epoch_us/);
    expect(body.sql.hot).toMatch(/time_bucket/);
    expect(body.sql.merge).toMatch(/__parts/);
  });

  it("tiers: hot chunks, archived partitions, watermark, snapshot", async () => {
    const res = await app.request("/api/tiers", { headers: AUTH });
    const body = (await res.json()) as {
      hot: { chunks: { start: string; end: string }[] };
      cold: { snapshotId: string; files: number; records: number; partitions: { partition: string }[] };
      watermark: string;
    };
    expect(body.hot.chunks).toEqual([
      expect.objectContaining({ start: "2026-03-02T00:00:00.000Z", end: "2026-03-03T00:00:00.000Z" }),
    ]);
    expect(body.cold.files).toBe(1);
    expect(body.cold.records).toBe(124);
    expect(body.cold.partitions).toEqual([expect.objectContaining({ partition: "2026-03-01" })]);
    expect(body.watermark).toBe("2026-03-01T23:59:59.999Z");
    expect(body.cold.snapshotId).toMatch(/^\d+$/);
  });

  it("metrics in Prometheus text", async () => {
    const res = await app.request("/metrics", { headers: AUTH });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/gateway_queries_total\{route="both",outcome="ok"\} \d+/);
    expect(text).toMatch(/gateway_query_duration_seconds_count\{route="cold"\} \d+/);
    expect(text).toMatch(/gateway_queries_total\{route="refused",outcome="refused"\} \d+/);
  });

  it("openapi document", async () => {
    const res = await app.request("/api/openapi.json", { headers: AUTH });
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual(
      ["/api/explain", "/api/openapi.json", "/api/query", "/api/tiers", "/healthz", "/metrics"].sort(),
    );
  });
});

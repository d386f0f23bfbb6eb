// The Iceberg REST catalog over a real gateway setup: embedded TimescaleDB holding the SQL
// catalog, two archived days in a file:// warehouse. In-process requests check the protocol;
// PyIceberg (type=rest) must read exactly what PyIceberg's own SqlCatalog reads from the same
// database, and what the gateway counts for the archived range.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type ServerType, serve } from "@hono/node-server";
import { FileObjectStore } from "@netflow/iceberg";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "../config.ts";
import { Gateway } from "../gateway.ts";
import { createApp } from "../http/app.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "../tiers/fixture.ts";
import { createRestCatalogApp, withRestCatalog } from "./app.ts";
import { CatalogReader } from "./catalog-reader.ts";

const run = promisify(execFile);
const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const TOKEN = "rest-test-token";
const TEST_PY = fileURLToPath(new URL("../../test-py/", import.meta.url));

let fixture: TierFixture;
let gateway: Gateway;
let reader: CatalogReader;
let app: Hono;
let server: ServerType;
let baseUrl: string;
let cacheDir: string;

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert(flowDataset(FIRST_DAY, 3, 150, 5));
  await fixture.archive(FIRST_DAY, FIRST_DAY + 2n * DAY_US);
  cacheDir = mkdtempSync(join(tmpdir(), "gateway-rest-"));
  gateway = new Gateway(gatewayConfig({ pgUrl: fixture.readerUrl, warehouse: fixture.warehouse, cacheDir }));
  await gateway.start();
  reader = new CatalogReader({ url: fixture.readerUrl, catalogName: "netflow" });
  await reader.start();
  app = withRestCatalog(
    createApp(gateway, { tokens: [TOKEN] }),
    createRestCatalogApp(reader, new FileObjectStore(), { catalogName: "netflow", tokens: [TOKEN] }),
  );
  server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/iceberg`;
}, 240_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await reader?.stop();
  await gateway?.stop();
  await fixture?.stop();
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
});

const AUTH = { authorization: `Bearer ${TOKEN}` };

describe("REST protocol", () => {
  it("refuses requests without a valid bearer token", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const res = await app.request("/iceberg/v1/config", { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 401, type: "NotAuthorizedException" } });
    }
    // The HTTP API next to it keeps its own answers.
    expect((await app.request("/api/tiers")).status).toBe(401);
    expect((await app.request("/api/tiers", { headers: AUTH })).status).toBe(200);
  });

  it("lists namespaces and tables, and loads a table with its metadata byte for byte", async () => {
    expect(await (await app.request("/iceberg/v1/namespaces", { headers: AUTH })).json()).toEqual({
      namespaces: [["netflow"]],
    });
    expect(await (await app.request("/iceberg/v1/namespaces/netflow", { headers: AUTH })).json()).toMatchObject({
      namespace: ["netflow"],
    });
    expect((await app.request("/iceberg/v1/namespaces/nope", { headers: AUTH })).status).toBe(404);
    expect(await (await app.request("/iceberg/v1/namespaces/netflow/tables", { headers: AUTH })).json()).toEqual({
      identifiers: [{ namespace: ["netflow"], name: "flows" }],
    });
    const res = await app.request("/iceberg/v1/namespaces/netflow/tables/flows", { headers: AUTH });
    expect(res.status).toBe(200);
    const text = await res.text();
    const { rows } = await fixture.admin.query<{ loc: string }>(
      "SELECT metadata_location AS loc FROM iceberg_tables WHERE table_name = 'flows'",
    );
    const location = rows[0]?.loc ?? "";
    const stored = readFileSync(fileURLToPath(location), "utf8").trim();
    // The snapshot id is a 63-bit integer: the body carries the stored text unchanged.
    expect(text).toContain(`"metadata":${stored}`);
    expect(text).toMatch(/"current-snapshot-id"\s*:\s*\d{10,}/);
    const parsed = JSON.parse(text) as { "metadata-location": string; config: Record<string, string> };
    expect(parsed["metadata-location"]).toBe(location);
    expect(parsed.config).toEqual({});
    expect((await app.request("/iceberg/v1/namespaces/netflow/tables/nope", { headers: AUTH })).status).toBe(404);
    expect(
      (await app.request("/iceberg/v1/namespaces/netflow/tables/flows", { method: "HEAD", headers: AUTH })).status,
    ).toBe(204);
  });

  it("answers every write with 405 and an Iceberg ErrorModel", async () => {
    for (const [method, path] of [
      ["POST", "/iceberg/v1/namespaces"],
      ["POST", "/iceberg/v1/namespaces/netflow/tables/flows"],
      ["DELETE", "/iceberg/v1/namespaces/netflow/tables/flows"],
      ["POST", "/iceberg/v1/tables/rename"],
    ] as const) {
      const res = await app.request(path, {
        method,
        headers: { ...AUTH, "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status).toBe(405);
      expect(await res.json()).toMatchObject({ error: { code: 405, type: "NotSupportedException" } });
    }
  });
});

describe("PyIceberg", () => {
  it("reads through the REST catalog exactly what the SQL catalog path reads", async () => {
    const sqlUri = fixture.readerUrl.replace(/^postgres(ql)?:/, "postgresql+psycopg2:");
    const { stdout } = await run(
      "python3",
      [
        join(TEST_PY, "rest_catalog.py"),
        JSON.stringify({ uri: baseUrl, token: TOKEN, sql_uri: sqlUri, bad_token: "nope" }),
      ],
      { env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
    );
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
      namespaces: string[][];
      tables: string[][];
      exists: boolean;
      missing: boolean;
      rest: { rows: number; bytes: number; snapshot_id: string };
      sql: { rows: number; bytes: number; snapshot_id: string };
      bad_token: string;
    };
    expect(out.namespaces).toEqual([["netflow"]]);
    expect(out.tables).toEqual([["netflow", "flows"]]);
    expect(out.exists).toBe(true);
    expect(out.missing).toBe(false);
    expect(out.rest).toEqual(out.sql);
    const cold = await gateway.query({
      sql: "SELECT count(*), sum(bytes) FROM flows WHERE ts < '2026-03-03'",
    });
    expect(out.rest.rows).toBe(cold.result.rows[0]?.[0]);
    expect(out.rest.bytes).toBe(cold.result.rows[0]?.[1]);
    expect(out.bad_token).not.toBe("accepted");
  }, 120_000);
});

import { FLOW_COLUMNS, type PgType } from "@netflow/schema";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HotStoreConfig, hotStoreConfigFromEnv } from "./config.ts";
import { connectWithRetry } from "./connect.ts";
import { startEmbeddedForTest } from "./embedded/testing.ts";
import { HotStoreError } from "./errors.ts";
import { migrate } from "./migrate.ts";
import { loadMigrations } from "./migrations.ts";

// information_schema spells types differently from our catalog.
const INFORMATION_SCHEMA_TYPE: Record<PgType, string> = {
  timestamptz: "timestamp with time zone",
  inet: "inet",
  bigint: "bigint",
  integer: "integer",
  smallint: "smallint",
  boolean: "boolean",
};

const config: HotStoreConfig = {
  ...hotStoreConfigFromEnv({}),
  rolePasswords: { netflow_reader: "reader-pw", netflow_collector: "collector-pw" },
};

let server: Awaited<ReturnType<typeof startEmbeddedForTest>>;

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function roleUrl(role: string, password: string): string {
  const url = new URL(server.url);
  url.username = role;
  url.password = password;
  return url.toString();
}

beforeAll(async () => {
  server = await startEmbeddedForTest();
});
afterAll(async () => {
  await server?.stop();
});

describe("migrate", () => {
  it("applies every migration once; a second run is a no-op", async () => {
    const all = loadMigrations().map((m) => m.version);
    const first = await migrate(server.url, { config });
    expect(first.applied).toEqual(all);
    const second = await migrate(server.url, { config });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(all);
  });

  it("creates flows with exactly the catalog's columns, types and nullability", async () => {
    const rows = await query<{ column_name: string; data_type: string; is_nullable: string }>(
      server.url,
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = 'flows' ORDER BY ordinal_position`,
    );
    expect(rows).toEqual(
      FLOW_COLUMNS.map((c) => ({
        column_name: c.name,
        data_type: INFORMATION_SCHEMA_TYPE[c.pgType],
        is_nullable: c.nullable ? "YES" : "NO",
      })),
    );
  });

  it("makes flows a compressible hypertable segmented by exporter", async () => {
    const [dims] = await query<{ column_name: string; time_interval: { days: number } }>(
      server.url,
      "SELECT column_name, time_interval FROM timescaledb_information.dimensions WHERE hypertable_name = 'flows'",
    );
    expect(dims?.column_name).toBe("ts");
    expect(dims?.time_interval.days).toBe(1);
    await query(
      server.url,
      `INSERT INTO flows (ts, exporter, packets, bytes)
       SELECT timestamptz '2026-01-01' + i * interval '1 minute', '192.0.2.1', 1, 100 FROM generate_series(0, 999) i`,
    );
    const compressed = await query<{ c: string }>(
      server.url,
      "SELECT compress_chunk(c) AS c FROM show_chunks('flows') c",
    );
    expect(compressed.length).toBeGreaterThan(0);
    const [stats] = await query<{ n: string; b: string }>(server.url, "SELECT count(*) n, sum(bytes) b FROM flows");
    expect(stats).toEqual({ n: "1000", b: "100000" });
    const settings = await query<{ segmentby: string; orderby: string }>(
      server.url,
      "SELECT segmentby, orderby FROM timescaledb_information.hypertable_compression_settings WHERE hypertable = 'flows'::regclass",
    );
    expect(settings).toEqual([{ segmentby: "exporter", orderby: "ts DESC" }]);
  });

  it("gives service roles least privilege", async () => {
    const reader = roleUrl("netflow_reader", "reader-pw");
    expect(await query<{ n: string }>(reader, "SELECT count(*) n FROM flows")).toEqual([{ n: "1000" }]);
    await expect(
      query(reader, "INSERT INTO flows (ts, exporter, packets, bytes) VALUES (now(), '192.0.2.9', 1, 1)"),
    ).rejects.toThrow(/permission denied/);
    await expect(query(roleUrl("netflow_collector", "collector-pw"), "SELECT 1 FROM flows")).rejects.toThrow(
      /permission denied/,
    );
    // No password configured: the archiver role stays NOLOGIN.
    await expect(query(roleUrl("netflow_archiver", "anything"), "SELECT 1")).rejects.toThrow();
  });

  it("applies the ingest clock-skew window from configuration", async () => {
    await migrate(server.url, { config: { ...config, ingestMaxClockSkew: "30 minutes" } });
    expect(await query(server.url, "SELECT max_clock_skew::text AS s FROM ingest_settings")).toEqual([
      { s: "00:30:00" },
    ]);
    await migrate(server.url, { config: { ...config, ingestMaxClockSkew: "off" } });
    expect(await query(server.url, "SELECT max_clock_skew AS s FROM ingest_settings")).toEqual([{ s: null }]);
    expect(() => hotStoreConfigFromEnv({ INGEST_MAX_CLOCK_SKEW: "soon" })).toThrow(/INGEST_MAX_CLOCK_SKEW="soon"/);
  });

  it("refuses a migration edited after it was applied", async () => {
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: "x" } : m));
    const error = await migrate(server.url, { config, migrations: edited }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HotStoreError);
    expect((error as HotStoreError).kind).toBe("edited-migration");
    expect((error as Error).message).toMatch(/migration 1 \(flows\) was changed after it was applied/);
  });
});

describe("connectWithRetry", () => {
  it("gives up on an unreachable server with a clear, retryable error", async () => {
    const started = Date.now();
    const error = await connectWithRetry("postgres://u:p@127.0.0.1:1/db", { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HotStoreError);
    expect((error as HotStoreError).kind).toBe("unreachable");
    expect((error as HotStoreError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:1\/db \(ECONNREFUSED\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("does not retry a wrong password", async () => {
    const url = new URL(server.url);
    url.password = "wrong";
    const error = await connectWithRetry(url.toString(), { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect((error as HotStoreError).kind).toBe("auth");
  });
});

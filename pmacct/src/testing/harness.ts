/**
 * Test support: the real ingest path on free ports — the embedded TimescaleDB
 * server (migrated), and the Collector running real nfacctd and sfacctd with
 * a fresh state directory. Test code only.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import pino from "pino";
import { type EmbeddedTestServer, startEmbeddedForTest } from "../../../timescale/src/embedded/testing.ts";
import { Collector } from "../collector.ts";
import { type CollectorConfig, collectorConfig } from "../config.ts";

export interface IngestStack {
  db: EmbeddedTestServer;
  /** Superuser pool on the hot store. */
  pool: pg.Pool;
  collector: Collector;
  config: CollectorConfig;
  stateDir: string;
  /** Stops the collector and the database and removes the temp dirs. */
  stop(): Promise<void>;
}

/** A UDP port that was free a moment ago (bound to port 0, then released). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startIngestStack(
  options: { clockSkewGuard?: boolean; collector?: Partial<CollectorConfig> } = {},
): Promise<IngestStack> {
  const db = await startEmbeddedForTest();
  const password = "collector-test-pw";
  await migrate(db.url, { config: hotStoreConfigFromEnv({ NETFLOW_COLLECTOR_PASSWORD: password }) });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  if (options.clockSkewGuard === false) await pool.query("UPDATE ingest_settings SET max_clock_skew = NULL");
  const stateDir = mkdtempSync(join(tmpdir(), "collector-"));
  const config = collectorConfig({
    stateDir,
    listenIp: "127.0.0.1",
    netflowPort: await freeUdpPort(),
    sflowPort: await freeUdpPort(),
    refreshSeconds: 1,
    healthRefreshSeconds: 1,
    targetFlowsPerSecond: 20_000,
    dbWaitSeconds: 30,
    database: { host: "127.0.0.1", port: db.port, database: "postgres", user: "netflow_collector", password },
    ...options.collector,
  });
  const collector = new Collector(config, { logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }) });
  await collector.start();
  const stack: IngestStack = {
    db,
    pool,
    collector,
    config,
    stateDir,
    async stop() {
      // The field, not the first collector: a test may have replaced it (restart).
      await stack.collector.stop();
      await pool.end();
      await db.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Polls a count query until it reaches `expected` (or stops changing for stableMs after the deadline). */
export async function waitForCount(
  pool: pg.Pool,
  sql: string,
  params: unknown[],
  expected: number,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(sql, params);
    last = Number(rows[0]?.n ?? 0);
    if (last >= expected || Date.now() > deadline) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Test environment: a real embedded TimescaleDB (child process, free port,
 * temp data dir) migrated with an archiver password, a file:// warehouse in a
 * temp dir, and the archiver's dependencies wired as in production (the
 * archiver connects as netflow_archiver, never as the superuser).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import pino from "pino";
import { type EmbeddedTestServer, startEmbeddedForTest } from "../../../timescale/src/embedded/testing.ts";
import type { ArchiveDeps } from "../archive/job.ts";
import type { ArchiverConfig } from "../config.ts";
import { objectStoreFor, pgQuery, tableContext } from "../warehouse/warehouse.ts";

export const ARCHIVER_PASSWORD = "archiver-test-password";

export interface TestEnv {
  readonly server: EmbeddedTestServer;
  readonly superUrl: string;
  readonly archiverUrl: string;
  readonly warehouseDir: string;
  readonly config: ArchiverConfig;
  /** Superuser pool (test setup and assertions). */
  readonly su: pg.Pool;
  /** Archiver-role pool. */
  readonly pool: pg.Pool;
  readonly deps: ArchiveDeps;
  stop(): Promise<void>;
}

export function testConfig(archiverUrl: string, warehouse: string, over: Partial<ArchiverConfig> = {}): ArchiverConfig {
  return {
    pgUrl: archiverUrl,
    warehouse,
    s3: undefined,
    redisUrl: "redis://127.0.0.1:6379",
    archiveAfter: "7 days",
    compressAfter: "2 days",
    batchRows: 2000,
    targetFileSizeBytes: 256 * 1024 * 1024,
    rowGroupRows: 8192,
    scheduleEveryMs: 1000,
    concurrency: 1,
    jobAttempts: 5,
    backoffMs: 200,
    commitAttempts: 5,
    queueName: "netflow-archive-test",
    hotSizeWarnBytes: 1024 ** 4,
    metricsHost: "127.0.0.1",
    metricsPort: 0,
    maintenance: {
      coldRetentionDays: undefined,
      snapshotKeepDays: 7,
      snapshotKeepLast: 1,
      orphanMinAgeMs: 86_400_000,
      compactMinFiles: 8,
      compactTargetFileBytes: 256 * 1024 * 1024,
    },
    maintainEveryMs: 3_600_000,
    lockMs: 120_000,
    ...over,
  };
}

export async function startTestEnv(over: Partial<ArchiverConfig> = {}): Promise<TestEnv> {
  const server = await startEmbeddedForTest();
  await migrate(server.url, {
    config: { ...hotStoreConfigFromEnv({}), rolePasswords: { netflow_archiver: ARCHIVER_PASSWORD } },
  });
  const archiverUrl = `postgres://netflow_archiver:${ARCHIVER_PASSWORD}@127.0.0.1:${server.port}/postgres`;
  const warehouseDir = mkdtempSync(join(tmpdir(), "archiver-wh-"));
  const config = testConfig(archiverUrl, pathToFileURL(warehouseDir).href, over);
  const su = new pg.Pool({ connectionString: server.url, max: 2 });
  const pool = new pg.Pool({ connectionString: archiverUrl, max: 3 });
  // Restart tests kill the server under idle connections; the pools replace them.
  su.on("error", () => {});
  pool.on("error", () => {});
  const deps: ArchiveDeps = {
    pool,
    ctx: tableContext(objectStoreFor(config), pgQuery(pool)),
    config,
    log: pino({ level: process.env.LOG_LEVEL ?? "warn" }),
  };
  return {
    server,
    superUrl: server.url,
    archiverUrl,
    warehouseDir,
    config,
    su,
    pool,
    deps,
    async stop() {
      await pool.end().catch(() => {});
      await su.end().catch(() => {});
      await server.stop();
      rmSync(warehouseDir, { recursive: true, force: true });
    },
  };
}

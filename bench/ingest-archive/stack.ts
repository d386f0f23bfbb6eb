/**
 * The local stack pieces the ingest-while-archiving benchmark needs, each on
 * free loopback ports with data in temp dirs: the embedded TimescaleDB
 * (migrated, with collector and archiver logins), pmacct's nfacctd through the
 * project's Collector, redis-server, SeaweedFS S3, and the archiver worker as
 * its own process (`archiver/src/cli.ts worker`, as the launcher runs it), so
 * its CPU work never stalls the sender's event loop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import pino from "pino";
import { startTestRedis, type TestRedis } from "../../archiver/src/testing/redis.ts";
import { freePort } from "../../iceberg/src/testing/free-port.ts";
import { type SeaweedServer, startSeaweed } from "../../iceberg/src/testing/seaweed.ts";
import { Collector } from "../../pmacct/src/collector.ts";
import { type CollectorConfig, collectorConfig } from "../../pmacct/src/config.ts";
import { freeUdpPort } from "../../pmacct/src/testing/harness.ts";
import { type EmbeddedTestServer, startEmbeddedForTest } from "../../timescale/src/embedded/testing.ts";

const COLLECTOR_PASSWORD = "bench-collector-pw";
const ARCHIVER_PASSWORD = "bench-archiver-pw";
const REPO_ROOT = join(import.meta.dirname, "..", "..");

export interface BenchStack {
  readonly db: EmbeddedTestServer;
  /** Superuser pool (setup and counting). */
  readonly pool: pg.Pool;
  readonly collector: Collector;
  readonly collectorConfig: CollectorConfig;
  readonly redis: TestRedis;
  readonly seaweed: SeaweedServer;
  /** Environment of the archiver worker process. */
  readonly archiverEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const [db, redis, seaweed] = await Promise.all([
    startEmbeddedForTest(),
    startTestRedis(),
    startSeaweed({ buckets: ["warehouse"] }),
  ]);
  await migrate(db.url, {
    config: {
      ...hotStoreConfigFromEnv({}),
      rolePasswords: { netflow_collector: COLLECTOR_PASSWORD, netflow_archiver: ARCHIVER_PASSWORD },
    },
  });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const stateDir = mkdtempSync(join(tmpdir(), "bench-collector-"));
  // Production defaults (refresh 5 s, cache sized for 20k flows/s, 64 MiB
  // plugin pipe, 16 MiB receive buffer); only where it listens and logs in differ.
  const config = collectorConfig({
    stateDir,
    listenIp: "127.0.0.1",
    netflowPort: await freeUdpPort(),
    sflowPort: null,
    healthRefreshSeconds: 1,
    database: {
      host: "127.0.0.1",
      port: db.port,
      database: "postgres",
      user: "netflow_collector",
      password: COLLECTOR_PASSWORD,
    },
  });
  const collector = new Collector(config, { logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }) });
  await collector.start();
  const archiverEnv = {
    PG_URL: `postgres://netflow_archiver:${ARCHIVER_PASSWORD}@127.0.0.1:${db.port}/postgres`,
    REDIS_URL: redis.url,
    WAREHOUSE: "s3://warehouse/bench-ingest-archive",
    S3_ENDPOINT: seaweed.endpoint,
    S3_REGION: seaweed.region,
    S3_ACCESS_KEY_ID: seaweed.accessKeyId,
    S3_SECRET_ACCESS_KEY: seaweed.secretAccessKey,
    ARCHIVE_AFTER: "7 days",
    HOT_COMPRESS_AFTER: "2 days",
    ARCHIVE_SCHEDULE_EVERY_S: "1",
    ARCHIVER_METRICS_HOST: "127.0.0.1",
    ARCHIVER_METRICS_PORT: String(await freePort()),
    LOG_LEVEL: "info",
  };
  return {
    db,
    pool,
    collector,
    collectorConfig: config,
    redis,
    seaweed,
    archiverEnv,
    async stop() {
      await collector.stop().catch(() => {});
      await pool.end().catch(() => {});
      await db.stop().catch(() => {});
      await redis.stop().catch(() => {});
      await seaweed.stop().catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** One "chunk archived" log line of the worker. */
export interface ArchivedChunk {
  readonly atMs: number;
  readonly chunkId: number;
  readonly rows: number;
  readonly timings: Record<string, number>;
}

export interface ArchiverProcess {
  /** When its metrics endpoint first answered (scheduler installed, worker running). */
  readonly readyAtMs: number;
  readonly archived: ArchivedChunk[];
  /** Log lines at warn level or above. */
  readonly problems: string[];
  stop(): Promise<void>;
}

/** Starts `archiver/src/cli.ts worker` and collects its "chunk archived" lines. */
export async function startArchiverProcess(env: Record<string, string>): Promise<ArchiverProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "archiver/src/cli.ts", "worker"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const archived: ArchivedChunk[] = [];
  const problems: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    if (line.trim() === "") return;
    let entry: { level?: number; msg?: string; time?: number; chunkId?: number; rows?: number; timings?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      problems.push(line);
      return;
    }
    if (entry.msg === "chunk archived")
      archived.push({
        atMs: entry.time ?? Date.now(),
        chunkId: entry.chunkId ?? -1,
        rows: entry.rows ?? 0,
        timings: (entry.timings ?? {}) as Record<string, number>,
      });
    else if ((entry.level ?? 0) >= 40) problems.push(line);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const metrics = `http://127.0.0.1:${env.ARCHIVER_METRICS_PORT}/metrics`;
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`archiver exited at start: ${problems.join("\n")}`);
    const ok = await fetch(metrics).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) throw new Error("archiver did not become ready in 120 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    readyAtMs: Date.now(),
    archived,
    problems,
    async stop() {
      if (child.exitCode !== null) return;
      const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(kill);
    },
  };
}

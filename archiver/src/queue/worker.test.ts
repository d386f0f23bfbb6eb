// The BullMQ scheduler + worker against a real redis-server and the embedded
// TimescaleDB: the repeatable scan enqueues one job per eligible chunk with
// the deterministic id, the worker archives them all (hot ∪ cold unchanged),
// a permanent error (schema mismatch) fails at once as unrecoverable and is
// visible in status, and `retry` finishes the jobs once it is fixed.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { backfill } from "@netflow/generator";
import { createTable, flowPartitionSpec, flowSortOrder, flowTableSchema, loadTable } from "@netflow/iceberg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../iceberg/src/testing/free-port.ts";
import { Archiver } from "../archiver.ts";
import { archiveLog, listHotChunks, systemIdentifier } from "../hot/chunks.ts";
import { addChecksum, coldChecksumDuckdb, hotChecksum } from "../testing/checksums.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { startTestRedis, type TestRedis } from "../testing/redis.ts";
import { FLOWS_TABLE, tableLocation } from "../warehouse/warehouse.ts";
import { archiveJobId } from "./scan.ts";

const DAY = 86_400_000;
const run = promisify(execFile);
let env: TestEnv;
let redis: TestRedis;
let archiver: Archiver;

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

beforeAll(async () => {
  [env, redis] = await Promise.all([startTestEnv(), startTestRedis()]);
  const today = Math.floor(Date.now() / DAY) * DAY;
  await backfill({
    pgUrl: env.superUrl,
    fromMs: today - 7 * DAY,
    toMs: today,
    flowsPerDay: 1500,
    seed: 3,
    batchRows: 10_000,
  });
}, 240_000);

afterAll(async () => {
  await archiver?.stop();
  await redis?.stop();
  await env?.stop();
});

describe("scheduler + worker", () => {
  it("a schema mismatch fails jobs as unrecoverable (visible in status); after the fix, retry archives everything", async () => {
    const before = await hotChecksum(env.su);
    // A table whose bytes column is int instead of long: permanent until someone fixes it.
    const bad = flowTableSchema();
    await env.deps.ctx.catalog.createNamespace(FLOWS_TABLE.namespace);
    await createTable(env.deps.ctx, FLOWS_TABLE, {
      schema: { ...bad, fields: bad.fields.map((f) => (f.name === "bytes" ? { ...f, type: "int" } : f)) },
      spec: flowPartitionSpec(),
      sortOrder: flowSortOrder(),
      location: `${tableLocation(env.config.warehouse)}-bad`,
    });

    const metricsPort = await freePort();
    archiver = new Archiver(
      {
        ...env.config,
        redisUrl: redis.url,
        archiveAfter: "3 days",
        compressAfter: "1 day",
        scheduleEveryMs: 500,
        backoffMs: 100,
        jobAttempts: 5,
        lockMs: 4000,
        metricsPort,
      },
      pino({ level: process.env.LOG_LEVEL ?? "silent" }),
    );
    await archiver.start();
    const sysId = await systemIdentifier(env.pool);
    const cutoff = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
    const eligible = (await listHotChunks(env.pool)).filter((c) => c.rangeEnd.getTime() <= Date.now() - 3 * DAY);
    expect(eligible.length).toBeGreaterThanOrEqual(3);

    await until("failed jobs", async () => (await archiver.queue.status()).failed.length === eligible.length);
    const status = await archiver.queue.status();
    expect(status.failed.map((f) => f.id).sort()).toEqual(eligible.map((c) => archiveJobId(sysId, c.chunkId)).sort());
    for (const f of status.failed) {
      expect(f.unrecoverable).toBe(true);
      expect(f.attempts).toBe(1);
      expect(f.reason).toContain("schema-mismatch");
    }
    expect(status.schedulerEveryMs).toBe(500);
    expect(await archiveLog(env.su)).toEqual([]);

    // Fix: drop the wrong table (the archiver recreates it), then retry.
    await env.deps.ctx.catalog.dropTable(FLOWS_TABLE);
    expect(await archiver.queue.retryFailed()).toBe(eligible.length);
    await until("archived", async () => (await archiveLog(env.su)).length === eligible.length);
    const log = await archiveLog(env.su);
    expect(log.map((l) => l.chunkId)).toEqual(eligible.map((c) => c.chunkId));
    const hot = await listHotChunks(env.pool);
    expect(hot.every((c) => c.rangeEnd.getTime() > cutoff - DAY)).toBe(true);
    // Chunks past compress_after but not archive_after were compressed by the scan.
    expect(hot.filter((c) => c.rangeEnd.getTime() <= Date.now() - DAY).every((c) => (c.status & 1) === 1)).toBe(true);

    const cold = await coldChecksumDuckdb(env.deps.ctx);
    expect(addChecksum(await hotChecksum(env.su), cold.checksum)).toEqual(before);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const metrics = await res.text();
    expect(metrics).toMatch(new RegExp(`netflow_archiver_rows_archived_total ${cold.checksum.count}\\b`));
    expect(metrics).toMatch(/netflow_archiver_job_failures_total [1-9]/);
    expect(metrics).toMatch(/netflow_archiver_hot_bytes [1-9]/);
    expect(metrics).toMatch(/netflow_archiver_hot_size_warning 0/);
    // Later scans enqueue the same ids again: nothing more happens.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await archiveLog(env.su)).length).toBe(eligible.length);
  }, 180_000);

  it("Redis killed -9 and restarted while a job runs: the chunk is archived exactly once", async () => {
    const cold0 = await coldChecksumDuckdb(env.deps.ctx);
    const snapshots = (await archiveLog(env.su)).length;
    // Late flows for an archived day: a new chunk over an archived range, eligible at once.
    const day = Math.floor(Date.now() / DAY) * DAY - 6 * DAY;
    await env.su.query(
      `INSERT INTO flows (ts, exporter, src_addr, packets, bytes)
       SELECT to_timestamp($1::double precision / 1000) + g * interval '2 seconds', '192.0.2.77', '10.7.7.7', g, g * 10
       FROM generate_series(1, 30000) g`,
      [day],
    );
    const total = addChecksum(await hotChecksum(env.su), cold0.checksum);
    const lateChunk = (await listHotChunks(env.pool)).find((c) => c.rangeStart.getTime() === day)!;
    expect(lateChunk).toBeDefined();
    await until("the late chunk's job to run", async () => (await archiver.queue.status()).counts.active! > 0, 30_000);
    await redis.restart();
    await until(
      "the late chunk archived",
      async () => (await archiveLog(env.su)).some((l) => l.chunkId === lateChunk.chunkId),
      120_000,
    );
    await until("the queue idle", async () => (await archiver.queue.pendingArchiveJobs()) === 0, 60_000);
    const log = await archiveLog(env.su);
    expect(log.length).toBe(snapshots + 1);
    const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
    expect(t.metadata.snapshots.length).toBe(snapshots + 1);
    const cold = await coldChecksumDuckdb(env.deps.ctx);
    expect(cold.checksum.count).toBe(cold0.checksum.count + 30_000n);
    expect(addChecksum(await hotChecksum(env.su), cold.checksum)).toEqual(total);
  }, 240_000);

  it("cli status shows hot chunks, archived chunks, the watermark and the queue", async () => {
    const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));
    const { stdout } = await run(process.execPath, ["--import", "tsx", cli, "status"], {
      env: {
        ...process.env,
        PG_URL: env.archiverUrl,
        WAREHOUSE: env.config.warehouse,
        REDIS_URL: redis.url,
        ARCHIVE_QUEUE: env.config.queueName,
        LOG_LEVEL: "warn",
      },
    });
    const status = JSON.parse(stdout) as {
      hot: { chunkId: number; compressed: string }[];
      archived: { chunkId: number; rows: string }[];
      watermark: string;
      queue: { counts: Record<string, number>; failed: unknown[]; pending: number };
    };
    expect(status.hot.map((c) => c.chunkId)).toEqual((await listHotChunks(env.pool)).map((c) => c.chunkId));
    expect(status.archived.map((c) => c.chunkId)).toEqual((await archiveLog(env.su)).map((l) => l.chunkId));
    expect(new Date(status.watermark).getTime()).toBeGreaterThan(0);
    expect(status.queue.failed).toEqual([]);
    expect(status.queue.pending).toBe(0);
    expect(status.queue.counts.completed).toBeGreaterThan(0);
  }, 60_000);
});

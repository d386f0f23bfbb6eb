// Issue 5's end-to-end proof on the real local stack (embedded TimescaleDB,
// redis-server, SeaweedFS S3): 30 days of synthetic flows are backfilled, the
// Archiver (BullMQ scheduler + worker) archives every chunk past archive_after
// on its own, then late flows land in an already-archived day and the running
// archiver appends them as a further snapshot. Before and after, the multiset
// of all rows — count plus the sum of the 64-bit all-column row hash over hot ∪
// cold — is identical; hot holds only the recent days; PyIceberg (its own scan
// planning, Parquet reader and a hashlib row hash) returns exactly the rows
// that left the hot tier, as Postgres computed them before they moved.
import { backfill } from "@netflow/generator";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeaweedServer, startSeaweed } from "../../../iceberg/src/testing/seaweed.ts";
import { Archiver } from "../archiver.ts";
import { type Checksum, pgChecksumSql } from "../hash/row-hash.ts";
import { archiveLog, listHotChunks } from "../hot/chunks.ts";
import { addChecksum, coldChecksumDuckdb, coldChecksumPyIceberg, hotChecksum } from "../testing/checksums.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { startTestRedis, type TestRedis } from "../testing/redis.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const DAYS = 30;
const FLOWS_PER_DAY = 300;
const LATE_ROWS = 150;
const today = Math.floor(Date.now() / DAY) * DAY;
// archive_after in whole hours puts the cutoff at mid-day, 7.5 days back, so a
// run that crosses midnight (or a slow one) cannot make one more chunk
// eligible: chunks of days D-30..D-9 are archived, D-8..D-1 stay hot.
const archiveAfterHours = Math.round((Date.now() - (today - 7 * DAY - 12 * HOUR)) / HOUR);
const boundary = today - 8 * DAY;
const archivedDays = DAYS - 8;
// The already-archived day that receives late flows.
const lateDay = today - 21 * DAY;

let seaweed: SeaweedServer;
let redis: TestRedis;
let env: TestEnv;
let archiver: Archiver | undefined;
/** Every row before archiving, and the part of it older than the boundary. */
let total: Checksum;
let old: Checksum;

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function pgChecksum(from: string): Promise<Checksum> {
  const r = (await env.su.query<{ n: string; s: string }>(pgChecksumSql(from))).rows[0]!;
  return { count: BigInt(r.n), sum: BigInt(r.s) };
}

async function pyIceberg(): Promise<Awaited<ReturnType<typeof coldChecksumPyIceberg>>> {
  return coldChecksumPyIceberg(env.superUrl, {
    endpoint: seaweed.endpoint,
    access_key: seaweed.accessKeyId,
    secret_key: seaweed.secretAccessKey,
  });
}

/** Hot holds only days from the boundary on: by chunk ranges and by the rows themselves. */
async function expectHotOnlyRecent(): Promise<void> {
  const hot = await listHotChunks(env.pool);
  expect(hot.map((c) => c.rangeStart.getTime()).sort((a, b) => a - b)).toEqual(
    Array.from({ length: 8 }, (_, i) => boundary + i * DAY),
  );
  const r = await env.su.query<{ n: string }>("SELECT count(*)::text AS n FROM flows WHERE ts < $1", [
    new Date(boundary).toISOString(),
  ]);
  expect(r.rows[0]!.n).toBe("0");
}

beforeAll(async () => {
  [seaweed, redis] = await Promise.all([startSeaweed({ buckets: ["warehouse"] }), startTestRedis()]);
  env = await startTestEnv({
    warehouse: "s3://warehouse/netflow-e2e",
    s3: {
      endpoint: seaweed.endpoint,
      region: seaweed.region,
      accessKeyId: seaweed.accessKeyId,
      secretAccessKey: seaweed.secretAccessKey,
    },
    redisUrl: redis.url,
  });
  await backfill({
    pgUrl: env.superUrl,
    fromMs: today - DAYS * DAY,
    toMs: today,
    flowsPerDay: FLOWS_PER_DAY,
    seed: 30,
    batchRows: 10_000,
  });
  total = await hotChecksum(env.su);
  old = await pgChecksum(`flows WHERE ts < '${new Date(boundary).toISOString()}'`);
}, 180_000);

afterAll(async () => {
  await archiver?.stop();
  await env?.stop();
  await redis?.stop();
  await seaweed?.stop();
});

describe(`archiver end to end: ${DAYS} days backfilled, late flows for an archived day`, () => {
  it("the archiver moves every chunk past archive_after; hot ∪ cold is the same multiset", async () => {
    expect(total.count).toBe(BigInt(DAYS * FLOWS_PER_DAY));
    expect((await listHotChunks(env.pool)).length).toBe(DAYS);
    expect(old.count).toBe(BigInt(archivedDays * FLOWS_PER_DAY));

    archiver = new Archiver(
      {
        ...env.config,
        archiveAfter: `${archiveAfterHours} hours`,
        compressAfter: "2 days",
        scheduleEveryMs: 500,
        backoffMs: 200,
        // Two jobs at once: each export boots a worker thread (~2 s fixed cost
        // per chunk here), and concurrent commits race on the catalog pointer.
        concurrency: 2,
        metricsPort: 0,
      },
      pino({ level: process.env.LOG_LEVEL ?? "silent" }),
    );
    await archiver.start();
    await until("the old chunks archived", async () => (await archiveLog(env.su)).length >= archivedDays, 150_000);
    await until("the queue idle", async () => (await archiver!.queue.pendingArchiveJobs()) === 0);

    const log = await archiveLog(env.su);
    expect(log.map((l) => l.rangeStart.getTime())).toEqual(
      Array.from({ length: archivedDays }, (_, i) => today - DAYS * DAY + i * DAY),
    );
    expect((await archiver.queue.status()).failed).toEqual([]);
    await expectHotOnlyRecent();
    const hot = await hotChecksum(env.su);
    const py = await pyIceberg();
    // PyIceberg returns exactly the rows that were older than the boundary.
    expect(py.checksum).toEqual(old);
    expect(py.files).toBe(archivedDays);
    expect(addChecksum(hot, py.checksum)).toEqual(total);
    // archive_log's per-chunk counts and hash sums add up to the same rows.
    expect(log.reduce((s, l) => s + BigInt(l.rowCount), 0n)).toBe(old.count);
    expect(log.reduce((s, l) => s + BigInt(l.checksum), 0n)).toBe(old.sum);
    // A second reader of the cold tier (DuckDB over the live files) agrees.
    expect((await coldChecksumDuckdb(env.deps.ctx)).checksum).toEqual(old);
  }, 200_000);

  it("late flows for an archived day become a new chunk, archived as a further append", async () => {
    const logBefore = await archiveLog(env.su);
    // Real rows of yesterday, moved back 20 days: every column filled like a
    // synthetic flow, in a range whose chunk is archived and dropped. They go
    // through a plain table first so their checksum is known before they can
    // move (the archiver keeps running).
    await env.su.query(
      `CREATE TABLE late_flows AS
       SELECT * FROM flows WHERE ts >= $1 ORDER BY ts LIMIT ${LATE_ROWS}`,
      [new Date(today - DAY).toISOString()],
    );
    await env.su.query("UPDATE late_flows SET ts = ts - interval '20 days', ts_end = ts_end - interval '20 days'");
    const late = await pgChecksum("late_flows");
    expect(late.count).toBe(BigInt(LATE_ROWS));
    const range = await env.su.query<{ lo: Date; hi: Date }>("SELECT min(ts) AS lo, max(ts) AS hi FROM late_flows");
    expect(Math.floor(range.rows[0]!.lo.getTime() / DAY) * DAY).toBe(lateDay);
    expect(Math.floor(range.rows[0]!.hi.getTime() / DAY) * DAY).toBe(lateDay);
    await env.su.query("INSERT INTO flows SELECT * FROM late_flows");

    await until("the late chunk archived", async () => (await archiveLog(env.su)).length > logBefore.length, 60_000);
    await until("the queue idle", async () => (await archiver!.queue.pendingArchiveJobs()) === 0);
    const log = await archiveLog(env.su);
    expect(log.length).toBe(logBefore.length + 1);
    const sameDay = log.filter((l) => l.rangeStart.getTime() === lateDay);
    expect(sameDay.length).toBe(2);
    expect(sameDay[0]!.chunkId).not.toBe(sameDay[1]!.chunkId);
    expect(sameDay[1]!.rowCount).toBe(String(LATE_ROWS));
    expect(BigInt(sameDay[1]!.checksum)).toBe(late.sum);
    // The earlier snapshots stay logged as they were: the late one was added, not swapped in.
    const added = log.find((l) => !logBefore.some((b) => b.chunkId === l.chunkId))!;
    expect(added).toEqual(sameDay[1]);
    expect(log.filter((l) => l !== added)).toEqual(logBefore);

    await expectHotOnlyRecent();
    const hot = await hotChecksum(env.su);
    const py = await pyIceberg();
    expect(py.snapshotId).toBe(added.snapshotId);
    expect(py.files).toBe(archivedDays + 1);
    expect(py.checksum).toEqual(addChecksum(old, late));
    expect(hot).toEqual({ count: total.count - old.count, sum: total.sum - old.sum });
    expect(addChecksum(hot, py.checksum)).toEqual(addChecksum(total, late));
    expect((await coldChecksumDuckdb(env.deps.ctx)).checksum).toEqual(py.checksum);
  }, 120_000);
});

// Cold-tier maintenance, each step with before/after row checks (DuckDB and
// PyIceberg) and object listings: late flows for an archived day become
// further appends to the same partition; compaction merges them without
// changing a row; snapshot expiry deletes only files no kept snapshot needs;
// orphan removal deletes unreferenced old files only; retention drops whole
// old days in a metadata-only delete snapshot.
import { fileURLToPath } from "node:url";
import { backfill } from "@netflow/generator";
import { currentSnapshot, liveEntries, loadTable } from "@netflow/iceberg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveChunk } from "../archive/job.ts";
import { duckdbChecksum } from "../archive/verify.ts";
import { archiveLog, listHotChunks } from "../hot/chunks.ts";
import { coldChecksumDuckdb, coldChecksumPyIceberg } from "../testing/checksums.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { FLOWS_TABLE } from "../warehouse/warehouse.ts";
import { applyColdRetention, expireOldSnapshots, removeOrphans } from "./cold.ts";
import { compactPartitions } from "./compact.ts";

const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
let env: TestEnv;

async function liveFiles(): Promise<{ path: string; day: number }[]> {
  const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
  return (await liveEntries(env.deps.ctx.store, t.metadata, currentSnapshot(t.metadata))).map((e) => ({
    path: e.dataFile.filePath,
    day: e.dataFile.partition[0] as number,
  }));
}

async function objects(): Promise<Set<string>> {
  const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
  return new Set((await env.deps.ctx.store.list(`${t.metadata.location}/`)).map((o) => o.location));
}

async function cold(): Promise<{ count: bigint; sum: bigint }> {
  const duck = await coldChecksumDuckdb(env.deps.ctx);
  const py = await coldChecksumPyIceberg(env.superUrl);
  expect(py.checksum).toEqual(duck.checksum);
  return duck.checksum;
}

async function archiveAllHot(): Promise<void> {
  for (const c of await listHotChunks(env.pool))
    expect((await archiveChunk(env.deps, c.chunkId)).outcome).toBe("archived");
}

beforeAll(async () => {
  env = await startTestEnv();
  await backfill({
    pgUrl: env.superUrl,
    fromMs: today - 10 * DAY,
    toMs: today - 5 * DAY,
    flowsPerDay: 1000,
    seed: 11,
    batchRows: 10_000,
  });
  await archiveAllHot();
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

describe("cold maintenance", () => {
  const lateDay = Math.floor((today - 8 * DAY) / DAY);

  it("late flows for an archived day are archived again as further appends to that partition", async () => {
    const before = await cold();
    for (let i = 0; i < 3; i++) {
      await env.su.query(
        `INSERT INTO flows (ts, exporter, src_addr, packets, bytes)
         SELECT to_timestamp($1::double precision / 1000) + g * interval '1 second', '192.0.2.99', '10.9.9.9', g, g * 100
         FROM generate_series(1, 40) g`,
        [lateDay * DAY + 3_600_000 * (i + 1)],
      );
      await archiveAllHot();
    }
    const log = await archiveLog(env.su);
    const sameRange = log.filter((l) => l.rangeStart.getTime() === lateDay * DAY);
    expect(sameRange.length).toBe(4);
    expect(new Set(sameRange.map((l) => l.chunkId)).size).toBe(4);
    expect((await liveFiles()).filter((f) => f.day === lateDay).length).toBe(4);
    const after = await cold();
    expect(after.count).toBe(before.count + 120n);
  }, 120_000);

  it("compaction merges a partition's files into one without changing any row", async () => {
    const before = await cold();
    const oldFiles = (await liveFiles()).filter((f) => f.day === lateDay).map((f) => f.path);
    const r = await compactPartitions(env.deps.ctx, { minFiles: 2, targetFileBytes: 1 << 30 });
    expect(r).toEqual({ partitions: 1, filesRemoved: 4, filesAdded: 1 });
    const files = await liveFiles();
    expect(files.filter((f) => f.day === lateDay).length).toBe(1);
    expect(await cold()).toEqual(before);
    // The replaced files stay until snapshot expiry: older snapshots still read them.
    const objs = await objects();
    for (const f of oldFiles) expect(objs.has(f)).toBe(true);
    // Nothing else to compact now.
    expect(await compactPartitions(env.deps.ctx, { minFiles: 2, targetFileBytes: 1 << 30 })).toEqual({
      partitions: 0,
      filesRemoved: 0,
      filesAdded: 0,
    });
  }, 120_000);

  it("snapshot expiry + orphan removal delete only the files no kept snapshot references", async () => {
    const before = await cold();
    const live = new Set((await liveFiles()).map((f) => f.path));
    const dataBefore = [...(await objects())].filter((o) => o.endsWith(".parquet"));
    const r = await expireOldSnapshots(env.deps.ctx, 0, 1, Date.now() + 1000);
    expect(r.expired).toBeGreaterThan(5);
    await removeOrphans(env.deps.ctx, 0, Date.now() + 1000);
    const dataAfter = [...(await objects())].filter((o) => o.endsWith(".parquet"));
    // Exactly the four compacted-away files are gone; every live file is still there.
    expect(dataBefore.length - dataAfter.length).toBe(4);
    for (const f of live) expect(dataAfter).toContain(f);
    expect((await loadTable(env.deps.ctx, FLOWS_TABLE)).metadata.snapshots.length).toBe(1);
    expect(await cold()).toEqual(before);
  }, 120_000);

  it("orphan removal deletes old unreferenced files only", async () => {
    const before = await cold();
    const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
    const orphan = `${t.metadata.location}/data/ts_day=1999-01-01/orphan-00000.parquet`;
    await env.deps.ctx.store.put(orphan, new TextEncoder().encode("not referenced"));
    // Too young for a 1-hour safety age: kept.
    expect(await removeOrphans(env.deps.ctx, 3_600_000)).toEqual([]);
    const removed = await removeOrphans(env.deps.ctx, 0, Date.now() + 1000);
    expect(removed).toContain(orphan);
    const objs = await objects();
    expect(objs.has(orphan)).toBe(false);
    for (const f of await liveFiles()) expect(objs.has(f.path)).toBe(true);
    expect(await cold()).toEqual(before);
  }, 120_000);

  it("retention drops whole days older than the cutoff in a metadata-only delete snapshot", async () => {
    const files = await liveFiles();
    const keep = files.filter((f) => f.day >= lateDay + 1).map((f) => fileURLToPath(f.path));
    const expected = await duckdbChecksum(keep);
    const dropped = files.filter((f) => f.day <= lateDay).map((f) => f.path);
    expect(dropped.length).toBe(3);
    // today - 7 days: days ending at or before that instant go (D-10, D-9, D-8).
    const r = await applyColdRetention(env.deps.ctx, 7, today);
    expect(r.cutoffDay).toBe(lateDay + 1);
    const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
    expect(currentSnapshot(t.metadata)?.summary.operation).toBe("delete");
    expect(await cold()).toEqual(expected);
    // Metadata-only: the files are still there until expiry removes them.
    const objs = await objects();
    for (const f of dropped) expect(objs.has(f)).toBe(true);
    const e = await expireOldSnapshots(env.deps.ctx, 0, 1, Date.now() + 1000);
    expect(e.expired).toBe(1);
    await removeOrphans(env.deps.ctx, 0, Date.now() + 1000);
    const after = await objects();
    for (const f of dropped) expect(after.has(f)).toBe(false);
    expect(await cold()).toEqual(expected);
  }, 120_000);
});

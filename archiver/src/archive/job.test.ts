// The archive job against a real embedded TimescaleDB and a file:// warehouse:
// every row ends in exactly one tier (checked by count + row-hash sum over
// hot ∪ cold, cold read by DuckDB and by PyIceberg), archive_log is right, a
// retried job is a no-op, a flow that lands in the chunk between export and
// commit aborts the commit, and two jobs racing on one chunk make one snapshot.
import { backfill } from "@netflow/generator";
import { loadTable } from "@netflow/iceberg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiverError } from "../errors.ts";
import { archiveLog, listHotChunks } from "../hot/chunks.ts";
import { addChecksum, coldChecksumDuckdb, coldChecksumPyIceberg, hotChecksum } from "../testing/checksums.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { FLOWS_TABLE } from "../warehouse/warehouse.ts";
import { archiveChunk } from "./job.ts";

const DAY = 86_400_000;
let env: TestEnv;
let before: Awaited<ReturnType<typeof hotChecksum>>;
const today = Math.floor(Date.now() / DAY) * DAY;

async function snapshotCount(): Promise<number> {
  return (await loadTable(env.deps.ctx, FLOWS_TABLE)).metadata.snapshots.length;
}

async function assertTiersComplete(): Promise<void> {
  const hot = await hotChecksum(env.su);
  const cold = await coldChecksumDuckdb(env.deps.ctx);
  expect(addChecksum(hot, cold.checksum)).toEqual(before);
  const py = await coldChecksumPyIceberg(env.superUrl);
  expect(py.checksum).toEqual(cold.checksum);
}

beforeAll(async () => {
  env = await startTestEnv();
  await backfill({
    pgUrl: env.superUrl,
    fromMs: today - 10 * DAY,
    toMs: today + DAY / 2,
    flowsPerDay: 3000,
    seed: 5,
    batchRows: 10_000,
  });
  before = await hotChecksum(env.su);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

describe("archiveChunk", () => {
  it("archives the old chunks; hot ∪ cold keeps every row exactly once; archive_log is right", async () => {
    expect(before.count).toBe(31_500n);
    const cutoff = today - 3 * DAY;
    const old = (await listHotChunks(env.pool)).filter((c) => c.rangeEnd.getTime() <= cutoff);
    expect(old.length).toBe(7);
    for (const c of old.slice(0, 5)) {
      const r = await archiveChunk(env.deps, c.chunkId);
      expect(r.outcome).toBe("archived");
      expect(r.rows).toBeGreaterThan(2500);
    }
    const hot = await listHotChunks(env.pool);
    expect(hot.some((c) => old.slice(0, 5).some((o) => o.chunkId === c.chunkId))).toBe(false);
    expect(hot.length).toBe(11 - 5);
    const log = await archiveLog(env.su);
    expect(log.map((l) => l.chunkId)).toEqual(old.slice(0, 5).map((c) => c.chunkId));
    const table = await loadTable(env.deps.ctx, FLOWS_TABLE);
    expect(table.metadata.snapshots.map((s) => s.snapshotId.toString())).toEqual(log.map((l) => l.snapshotId));
    for (const [i, l] of log.entries()) {
      expect(l.rangeStart.getTime()).toBe(old[i]!.rangeStart.getTime());
      expect(l.rangeEnd.getTime()).toBe(old[i]!.rangeEnd.getTime());
    }
    // Logged row counts and checksums add up to what left the hot tier.
    const hotNow = await hotChecksum(env.su);
    expect(log.reduce((s, l) => s + BigInt(l.rowCount), 0n)).toBe(before.count - hotNow.count);
    expect(log.reduce((s, l) => s + BigInt(l.checksum), 0n)).toBe(before.sum - hotNow.sum);
    await assertTiersComplete();
  }, 240_000);

  it("a retried job whose chunk is logged and gone is a no-op", async () => {
    const log = await archiveLog(env.su);
    const snaps = await snapshotCount();
    const r = await archiveChunk(env.deps, log[0]!.chunkId);
    expect(r.outcome).toBe("already-archived");
    expect(await snapshotCount()).toBe(snaps);
    expect((await archiveLog(env.su)).length).toBe(log.length);
  });

  it("a flow inserted between export and commit aborts the commit; the retry archives it", async () => {
    const chunk = (await listHotChunks(env.pool))[0]!;
    const snaps = await snapshotCount();
    const late = new Date(chunk.rangeStart.getTime() + 3_600_000 + 123).toISOString();
    let inserted = false;
    const deps = {
      ...env.deps,
      onProgress: () => {
        if (inserted) return;
        inserted = true;
        // Fire and forget is not allowed: run it synchronously in the export's flow.
        insertLate = env.su.query(
          "INSERT INTO flows (ts, exporter, packets, bytes) VALUES ($1, '198.51.100.1', 1, 42)",
          [late],
        );
      },
    };
    let insertLate: Promise<unknown> = Promise.resolve();
    const err = await archiveChunk(deps, chunk.chunkId).then(
      () => undefined,
      (e: unknown) => e,
    );
    await insertLate;
    expect(err).toBeInstanceOf(ArchiverError);
    expect((err as ArchiverError).kind).toBe("chunk-changed");
    expect((err as ArchiverError).retryable).toBe(true);
    expect(await snapshotCount()).toBe(snaps);
    expect((await listHotChunks(env.pool)).some((c) => c.chunkId === chunk.chunkId)).toBe(true);
    before = addChecksum(before, await hotChecksumOf(`ts = '${late}'`));
    // The retry recompresses and archives the late flow with the rest.
    const r = await archiveChunk(env.deps, chunk.chunkId);
    expect(r.outcome).toBe("archived");
    const count = await env.su.query<{ n: string }>("SELECT count(*)::text AS n FROM flows WHERE ts = $1", [late]);
    expect(count.rows[0]!.n).toBe("0");
    await assertTiersComplete();
  }, 120_000);

  it("two jobs racing on one chunk produce exactly one snapshot", async () => {
    const chunk = (await listHotChunks(env.pool))[0]!;
    const snaps = await snapshotCount();
    const results = await Promise.allSettled([
      archiveChunk(env.deps, chunk.chunkId),
      archiveChunk(env.deps, chunk.chunkId),
    ]);
    const outcomes = results.map((r) => (r.status === "fulfilled" ? r.value.outcome : "failed"));
    expect(outcomes.filter((o) => o === "archived")).toHaveLength(1);
    // The loser either found the log row or lost its chunk mid-export; its retry is a no-op.
    expect((await archiveChunk(env.deps, chunk.chunkId)).outcome).toBe("already-archived");
    expect(await snapshotCount()).toBe(snaps + 1);
    await assertTiersComplete();
  }, 120_000);
  it("an empty chunk is logged and dropped without a snapshot", async () => {
    await env.su.query(
      "INSERT INTO flows (ts, exporter, packets, bytes) VALUES ('2020-02-02 02:02:02+00', '192.0.2.1', 1, 1)",
    );
    await env.su.query("DELETE FROM flows WHERE ts = '2020-02-02 02:02:02+00'");
    const chunk = (await listHotChunks(env.pool)).find((c) => c.rangeStart.getTime() === Date.UTC(2020, 1, 2))!;
    expect(chunk).toBeDefined();
    const snaps = await snapshotCount();
    const r = await archiveChunk(env.deps, chunk.chunkId);
    expect(r.outcome).toBe("empty");
    expect(await snapshotCount()).toBe(snaps);
    expect((await listHotChunks(env.pool)).some((c) => c.chunkId === chunk.chunkId)).toBe(false);
    const log = (await archiveLog(env.su)).find((l) => l.chunkId === chunk.chunkId)!;
    expect(log.rowCount).toBe("0");
    expect(log.snapshotId).toBe("0");
    await assertTiersComplete();
  }, 60_000);
});

async function hotChecksumOf(where: string): Promise<{ count: bigint; sum: bigint }> {
  const { pgRowHashExpr } = await import("../hash/row-hash.ts");
  const r = await env.su.query<{ n: string; s: string }>(
    `SELECT count(*)::text AS n, coalesce(sum(${pgRowHashExpr()}), 0)::text AS s FROM flows WHERE ${where}`,
  );
  return { count: BigInt(r.rows[0]!.n), sum: BigInt(r.rows[0]!.s) };
}

// Kill -9 the archive job at every fault point (the job runs in a child
// process through the CLI with NETFLOW_FAULTS set), then check: no row lost or
// duplicated over hot ∪ cold (DuckDB and PyIceberg), every file the snapshot
// references exists, archive_log agrees with the hot tier, and a re-run
// finishes the chunk (or is a no-op when the kill came after COMMIT).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { backfill } from "@netflow/generator";
import { currentSnapshot, liveEntries, loadTable } from "@netflow/iceberg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toArchiverError } from "../errors.ts";
import { FAULT_POINTS, type FaultPoint } from "../faults.ts";
import { archiveLog, listHotChunks } from "../hot/chunks.ts";
import { removeOrphans } from "../maintenance/cold.ts";
import { addChecksum, coldChecksumDuckdb, coldChecksumPyIceberg, hotChecksum } from "../testing/checksums.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { FLOWS_TABLE } from "../warehouse/warehouse.ts";
import { archiveChunk } from "./job.ts";

const DAY = 86_400_000;
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
let env: TestEnv;
let before: Awaited<ReturnType<typeof hotChecksum>>;

function runCli(
  args: string[],
  faults: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      env: {
        ...process.env,
        PG_URL: env.archiverUrl,
        WAREHOUSE: env.config.warehouse,
        ARCHIVE_BATCH_ROWS: "500",
        ARCHIVE_ROW_GROUP_ROWS: "1000",
        NETFLOW_FAULTS: faults,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** `withPyIceberg` adds PyIceberg as a second cold reader (a Python start-up per call, so not after every step). */
async function assertConsistent(withPyIceberg = false): Promise<void> {
  const hot = await hotChecksum(env.su);
  const cold = await coldChecksumDuckdb(env.deps.ctx);
  expect(addChecksum(hot, cold.checksum)).toEqual(before);
  // Every referenced file exists (DuckDB read them all above), and PyIceberg agrees.
  if (withPyIceberg) expect((await coldChecksumPyIceberg(env.superUrl)).checksum).toEqual(cold.checksum);
  // archive_log and the hot tier agree: a logged chunk is gone, the log's rows are the cold rows.
  const log = await archiveLog(env.su);
  const hotIds = new Set((await listHotChunks(env.pool)).map((c) => c.chunkId));
  for (const l of log) expect(hotIds.has(l.chunkId)).toBe(false);
  expect(log.reduce((s, l) => s + BigInt(l.rowCount), 0n)).toBe(cold.checksum.count);
  expect(log.reduce((s, l) => s + BigInt(l.checksum), 0n)).toBe(cold.checksum.sum);
}

beforeAll(async () => {
  env = await startTestEnv({ batchRows: 500, rowGroupRows: 1000 });
  const today = Math.floor(Date.now() / DAY) * DAY;
  await backfill({
    pgUrl: env.superUrl,
    fromMs: today - 9 * DAY,
    toMs: today,
    flowsPerDay: 2000,
    seed: 9,
    batchRows: 10_000,
  });
  before = await hotChecksum(env.su);
}, 240_000);

afterAll(async () => {
  await env?.stop();
});

describe("kill -9 at each fault point", () => {
  it.each(FAULT_POINTS.map((p) => [p]))(
    "%s: nothing lost or duplicated, and the re-run completes the chunk",
    async (point: FaultPoint) => {
      const chunk = (await listHotChunks(env.pool))[0]!;
      const r = await runCli(["archive", "--chunk", String(chunk.chunkId)], point);
      expect(r.signal, r.stderr).toBe("SIGKILL");
      expect(r.stderr).toContain(`fault point ${point} reached`);
      await assertConsistent();
      const committed = (await archiveLog(env.su)).some((l) => l.chunkId === chunk.chunkId);
      expect(committed).toBe(point === "after-commit");

      const again = await archiveChunk(env.deps, chunk.chunkId);
      expect(again.outcome).toBe(point === "after-commit" ? "already-archived" : "archived");
      await assertConsistent(true);
      const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
      const live = await liveEntries(env.deps.ctx.store, t.metadata, currentSnapshot(t.metadata));
      for (const e of live) expect(await env.deps.ctx.store.head(e.dataFile.filePath)).toBeDefined();
    },
    120_000,
  );

  it("TimescaleDB killed -9 mid-export and restarted: the job fails retryable, the re-run archives the chunk", async () => {
    const chunk = (await listHotChunks(env.pool))[0]!;
    let killed: Promise<void> | undefined;
    const deps = {
      ...env.deps,
      onProgress: () => {
        killed ??= env.server.kill9();
      },
    };
    const err = await archiveChunk(deps, chunk.chunkId).then(
      () => undefined,
      (e: unknown) => toArchiverError(e),
    );
    await killed;
    expect(err?.retryable).toBe(true);
    await env.server.restart();
    expect((await listHotChunks(env.pool)).some((c) => c.chunkId === chunk.chunkId)).toBe(true);
    await assertConsistent();
    expect((await archiveChunk(env.deps, chunk.chunkId)).outcome).toBe("archived");
    await assertConsistent();
  }, 180_000);

  it("orphan cleanup removes the killed jobs' files, and nothing a snapshot references", async () => {
    const t = await loadTable(env.deps.ctx, FLOWS_TABLE);
    const referenced = new Set<string>();
    for (const s of t.metadata.snapshots)
      for (const e of await liveEntries(env.deps.ctx.store, t.metadata, s)) referenced.add(e.dataFile.filePath);
    const removed = await removeOrphans(env.deps.ctx, 0, Date.now() + 1000);
    // Killed during export, after upload, after verify, before the CAS and before COMMIT: their files are orphans.
    expect(removed.filter((f) => f.endsWith(".parquet")).length).toBeGreaterThanOrEqual(4);
    for (const f of removed) expect(referenced.has(f)).toBe(false);
    await assertConsistent();
  }, 120_000);
});

/**
 * One archive job: move one hot chunk into the Iceberg table, exactly once.
 *
 *   0. no-op when archive_log has the chunk (a retried or duplicate job)
 *   1. compress the chunk unless fully compressed (the embedded engine runs
 *      no compression policy), then fingerprint it
 *   2. export in bounded batches → data files uploaded (export.ts); the
 *      row count must equal the chunk's flow count (the export saw it all)
 *   3. read the files back with DuckDB: count + row-hash sum must equal the
 *      export's, hashed in Node from the rows Postgres sent (verify.ts)
 *   4. stage the snapshot, then one transaction: lock, fingerprint check,
 *      catalog CAS, archive_log, drop (commit.ts)
 *
 * A failure before the commit leaves only unreferenced files (deleted here
 * when the process survives, by orphan cleanup otherwise).
 */
import {
  currentSchema,
  type DataFile,
  flowTableSchema,
  type ObjectStore,
  type Schema,
  type TableContext,
} from "@netflow/iceberg";
import type pg from "pg";
import type { Logger } from "pino";
import type { ArchiverConfig } from "../config.ts";
import { ArchiverError } from "../errors.ts";
import { fault } from "../faults.ts";
import { checksumEquals, formatChecksum } from "../hash/row-hash.ts";
import {
  archiveLogEntry,
  chunkFingerprint,
  compressChunk,
  findHotChunk,
  isFullyCompressed,
  systemIdentifier,
} from "../hot/chunks.ts";
import { ensureFlowsTable } from "../warehouse/warehouse.ts";
import { commitArchive, stageAppend } from "./commit.ts";
import { exportChunk } from "./export.ts";
import { verifyFiles } from "./verify.ts";

export interface ArchiveDeps {
  readonly pool: pg.Pool;
  readonly ctx: TableContext;
  readonly config: Pick<
    ArchiverConfig,
    "pgUrl" | "warehouse" | "batchRows" | "targetFileSizeBytes" | "rowGroupRows" | "commitAttempts"
  >;
  readonly log: Logger;
  readonly onProgress?: (rows: number) => void;
}

export interface ArchiveResult {
  readonly outcome: "archived" | "already-archived" | "gone" | "empty";
  readonly chunkId: number;
  readonly rows: number;
  readonly bytesWritten: number;
  readonly snapshotId?: string;
  /** Milliseconds per stage. */
  readonly timings: Record<string, number>;
}

async function removeFiles(store: ObjectStore, files: readonly DataFile[], log: Logger): Promise<void> {
  for (const f of files)
    await store
      .delete(f.filePath)
      .catch((e: unknown) => log.warn({ file: f.filePath, err: String(e) }, "could not delete unused data file"));
}

export async function archiveChunk(deps: ArchiveDeps, chunkId: number): Promise<ArchiveResult> {
  const { pool, ctx, log } = deps;
  const timings: Record<string, number> = {};
  const jobStart = performance.now();
  const lap = (name: string, t0: number): void => {
    timings[name] = Math.round(performance.now() - t0);
  };
  const sysId = await systemIdentifier(pool);
  const base = { chunkId, rows: 0, bytesWritten: 0, timings };
  const logged = await archiveLogEntry(pool, sysId, chunkId);
  if (logged)
    return { ...base, outcome: "already-archived", rows: Number(logged.rowCount), snapshotId: logged.snapshotId };
  let chunk = await findHotChunk(pool, chunkId);
  if (!chunk) return { ...base, outcome: "gone" };

  let t0 = performance.now();
  if (!isFullyCompressed(chunk.status)) {
    await compressChunk(pool, chunk.relation);
    chunk = await findHotChunk(pool, chunkId);
    if (!chunk) return { ...base, outcome: "gone" };
  }
  lap("compress", t0);
  const fingerprint = await chunkFingerprint(pool, chunk.relation, false);
  // Only a compressed chunk has a fingerprint that changes with every write; an
  // uncompressed one is archived only when empty (re-checked under the lock).
  if (
    !isFullyCompressed(fingerprint.status) &&
    (await pool.query(`SELECT 1 FROM ${chunk.relation} LIMIT 1`)).rows.length > 0
  )
    throw new ArchiverError(
      "chunk-changed",
      `chunk ${chunk.relation} is not fully compressed (status ${fingerprint.status})`,
      {
        retryable: true,
      },
    );
  const table = await ensureFlowsTable(ctx, deps.config.warehouse);
  checkSchema(currentSchema(table.metadata));

  t0 = performance.now();
  const exported = await exportChunk(ctx, table, chunk, {
    pgUrl: deps.config.pgUrl,
    batchRows: deps.config.batchRows,
    targetFileSizeBytes: deps.config.targetFileSizeBytes,
    rowGroupRows: deps.config.rowGroupRows,
    estimatedRows: Math.max(1, Number(fingerprint.flowRows)),
    ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
  });
  lap("export", t0);
  for (const [stage, ms] of Object.entries(exported.timings)) timings[stage.replace(/Ms$/, "")] = Math.round(ms);
  fault("after-upload");
  const files = exported.files;

  try {
    // Every flow of the chunk's compressed batches was exported (no window missed any).
    if (exported.checksum.count !== fingerprint.flowRows)
      throw new ArchiverError(
        "verify-mismatch",
        `chunk ${chunk.relation}: exported ${exported.checksum.count} rows, its compressed batches hold ${fingerprint.flowRows}`,
        { retryable: false },
      );
    t0 = performance.now();
    const cold = await verifyFiles(
      ctx.store,
      files.map((f) => f.filePath),
    );
    lap("verify", t0);
    if (!checksumEquals(cold, exported.checksum))
      throw new ArchiverError(
        "verify-mismatch",
        `chunk ${chunk.relation}: files read back by DuckDB give ${formatChecksum(cold)}, the exported rows gave ${formatChecksum(exported.checksum)}`,
        { retryable: false },
      );
    fault("after-verify");

    const input = {
      sysId,
      chunkId,
      relation: chunk.relation,
      rangeStart: chunk.rangeStart,
      rangeEnd: chunk.rangeEnd,
      fingerprint,
      checksum: exported.checksum,
      dataFiles: files.length,
      bytesWritten: exported.bytesWritten,
    };
    const summary = {
      "netflow.chunk-id": String(chunkId),
      "netflow.system-identifier": sysId,
      "netflow.row-hash-sum": exported.checksum.sum.toString(),
    };
    for (let attempt = 1; ; attempt++) {
      t0 = performance.now();
      // A chunk without flows is logged and dropped without a snapshot.
      const staged = files.length === 0 ? undefined : await stageAppend(ctx, files, summary);
      lap("stage", t0);
      const { outcome, txMs, markerWritten } = await commitArchive(pool, ctx.store, staged, input);
      timings.commitTx = Math.round(txMs);
      if (outcome === "committed") {
        lap("total", jobStart);
        if (markerWritten === false)
          log.warn({ chunkId }, "commit marker not written; the next commit writes a newer one");
        log.info(
          {
            chunkId,
            chunk: chunk.relation,
            rows: Number(exported.checksum.count),
            snapshotId: String(staged?.snapshotId ?? "none"),
            timings,
          },
          "chunk archived",
        );
        return {
          ...base,
          outcome: files.length === 0 ? "empty" : "archived",
          rows: Number(exported.checksum.count),
          bytesWritten: exported.bytesWritten,
          ...(staged ? { snapshotId: staged.snapshotId.toString() } : {}),
        };
      }
      if (staged) await deleteStaged(ctx.store, staged.next);
      if (outcome === "already-archived") {
        await removeFiles(ctx.store, files, log);
        return { ...base, outcome: "already-archived" };
      }
      log.info({ chunkId, attempt }, "catalog pointer moved since staging; staging again");
      if (attempt >= deps.config.commitAttempts)
        throw new ArchiverError("commit-conflict", `catalog pointer kept moving (${attempt} attempts)`, {
          retryable: true,
        });
    }
  } catch (e) {
    // Not committed: the files are ours alone.
    await removeFiles(ctx.store, files, log);
    throw e;
  }
}

/** A staged metadata file that lost: nothing references it. Its manifests are left to orphan cleanup. */
async function deleteStaged(store: ObjectStore, location: string): Promise<void> {
  await store.delete(location).catch(() => {});
}

/** The Iceberg table must have every flow column with its field id and type; anything else is permanent until migrated. */
function checkSchema(schema: Schema): void {
  const problems: string[] = [];
  for (const want of flowTableSchema().fields) {
    const got = schema.fields.find((f) => f.id === want.id);
    if (!got) problems.push(`field ${want.id} (${want.name}) is missing`);
    else if (got.name !== want.name || JSON.stringify(got.type) !== JSON.stringify(want.type))
      problems.push(
        `field ${want.id} is ${got.name}: ${JSON.stringify(got.type)}, expected ${want.name}: ${JSON.stringify(want.type)}`,
      );
  }
  if (problems.length > 0)
    throw new ArchiverError(
      "schema-mismatch",
      `the Iceberg table's schema does not match the flow columns: ${problems.join("; ")}`,
      {
        retryable: false,
      },
    );
}

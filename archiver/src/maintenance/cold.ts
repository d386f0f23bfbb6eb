/**
 * Cold-tier maintenance with the iceberg library's operations:
 *   retention   drop whole day partitions older than the cutoff (metadata-only delete snapshot)
 *   expiry      drop snapshots older than the keep window, then files only they referenced
 *   orphans     delete files no metadata references, older than a safety age
 * Each returns what it did, for logs and metrics.
 */
import {
  deleteFiles,
  expireSnapshots,
  isIcebergError,
  type LoadedTable,
  loadTable,
  removeOrphanFiles,
  type TableContext,
} from "@netflow/iceberg";
import { FLOWS_TABLE } from "../warehouse/warehouse.ts";
import { type CompactResult, compactPartitions } from "./compact.ts";
import type { MaintenanceConfig } from "./config.ts";

const DAY_MS = 86_400_000;

/** Deletes data files of day partitions that end at or before `now - retentionDays`. */
export async function applyColdRetention(
  ctx: TableContext,
  retentionDays: number,
  nowMs: number = Date.now(),
): Promise<{ table: LoadedTable; cutoffDay: number }> {
  // day(ts) partition values are days since the epoch; day d covers [d, d+1).
  const cutoffDay = Math.floor((nowMs - retentionDays * DAY_MS) / DAY_MS);
  const table = await deleteFiles(ctx, FLOWS_TABLE, (f) => {
    const day = f.partition[0];
    return typeof day === "number" && day + 1 <= cutoffDay;
  });
  return { table, cutoffDay };
}

export async function expireOldSnapshots(
  ctx: TableContext,
  keepDays: number,
  keepLast: number,
  nowMs: number = Date.now(),
): Promise<{ expired: number; deletedFiles: number }> {
  const r = await expireSnapshots(ctx, FLOWS_TABLE, { olderThanMs: nowMs - keepDays * DAY_MS, retainLast: keepLast });
  return { expired: r.expiredSnapshotIds.length, deletedFiles: r.deletedFiles.length };
}

/**
 * Orphan removal: files under the table location that no kept snapshot needs
 * and that are older than the safety age (files of jobs in flight are younger).
 */
export async function removeOrphans(
  ctx: TableContext,
  minAgeMs: number,
  nowMs: number = Date.now(),
): Promise<string[]> {
  return await removeOrphanFiles(ctx, FLOWS_TABLE, { olderThanMs: nowMs - minAgeMs });
}

export interface MaintenanceReport {
  readonly retentionCutoffDay: number | null;
  readonly compaction: CompactResult;
  readonly expiredSnapshots: number;
  readonly expiryDeletedFiles: number;
  readonly orphansRemoved: number;
}

/** One maintenance pass, in the order that frees the most: retention and compaction make files unreferenced, expiry and orphan removal delete them. */
export async function runColdMaintenance(
  ctx: TableContext,
  c: MaintenanceConfig,
  nowMs: number = Date.now(),
): Promise<MaintenanceReport> {
  try {
    await loadTable(ctx, FLOWS_TABLE);
  } catch (e) {
    if (isIcebergError(e, "no-such-table"))
      return {
        retentionCutoffDay: null,
        compaction: { partitions: 0, filesRemoved: 0, filesAdded: 0 },
        expiredSnapshots: 0,
        expiryDeletedFiles: 0,
        orphansRemoved: 0,
      };
    throw e;
  }
  const retention =
    c.coldRetentionDays === undefined ? undefined : await applyColdRetention(ctx, c.coldRetentionDays, nowMs);
  const compaction = await compactPartitions(ctx, {
    minFiles: c.compactMinFiles,
    targetFileBytes: c.compactTargetFileBytes,
  });
  const expiry = await expireOldSnapshots(ctx, c.snapshotKeepDays, c.snapshotKeepLast, nowMs);
  const orphans = await removeOrphans(ctx, c.orphanMinAgeMs, nowMs);
  return {
    retentionCutoffDay: retention?.cutoffDay ?? null,
    compaction,
    expiredSnapshots: expiry.expired,
    expiryDeletedFiles: expiry.deletedFiles,
    orphansRemoved: orphans.length,
  };
}

/**
 * Snapshot expiry and orphan-file removal. Expiry commits metadata without the
 * expired snapshots first, then deletes files reachable only from them — so a
 * crash in between leaves orphans (removed later), never dangling references.
 */
import type { TableIdentifier } from "../catalog/catalog.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { EntryStatus, readManifest } from "../manifest/manifest.ts";
import type { Snapshot, TableMetadata } from "../spec/metadata.ts";
import { type CommitOptions, type CommittedTable, commitWithRetry } from "./commit.ts";
import { boundFieldsFor, snapshotManifests } from "./entries.ts";
import { markerPrefix } from "./markers.ts";
import { loadTable, type TableContext } from "./table.ts";

export interface ExpireOptions extends CommitOptions {
  /** Expire snapshots older than this (epoch ms). */
  readonly olderThanMs: number;
  /** Always keep this many of the newest snapshots of main's history. Default 1. */
  readonly retainLast?: number;
}

export interface ExpireResult {
  readonly table: CommittedTable;
  readonly expiredSnapshotIds: bigint[];
  readonly deletedFiles: string[];
}

/**
 * Every file a set of snapshots references: manifest lists, manifests, data files. A data file
 * that a manifest lists only as DELETED is no longer part of that snapshot's table state, so it
 * keeps the file alive only when `withDeleted` is set (to find everything an expired snapshot
 * could have pointed at); otherwise files removed by compaction or retention could never be freed.
 */
async function reachable(
  store: ObjectStore,
  m: TableMetadata,
  snaps: readonly Snapshot[],
  withDeleted: boolean,
): Promise<Set<string>> {
  const out = new Set<string>();
  const seenManifests = new Set<string>();
  for (const s of snaps) {
    out.add(s.manifestList);
    for (const mf of await snapshotManifests(store, s)) {
      out.add(mf.manifestPath);
      if (seenManifests.has(mf.manifestPath)) continue;
      seenManifests.add(mf.manifestPath);
      for (const e of await readManifest(
        store,
        mf.manifestPath,
        boundFieldsFor(m, mf.partitionSpecId),
        mf.partitionSpecId,
      ))
        if (withDeleted || e.status !== EntryStatus.DELETED) out.add(e.dataFile.filePath);
    }
  }
  return out;
}

function retained(m: TableMetadata, o: ExpireOptions): Set<bigint> {
  const keep = new Set<bigint>();
  for (const r of Object.values(m.refs)) keep.add(r.snapshotId);
  if (m.currentSnapshotId !== undefined) keep.add(m.currentSnapshotId);
  // Walk main's ancestry newest-first for retainLast.
  let cur = m.currentSnapshotId;
  for (let n = 0; cur !== undefined && n < (o.retainLast ?? 1); n++) {
    keep.add(cur);
    cur = m.snapshots.find((s) => s.snapshotId === cur)?.parentSnapshotId;
  }
  for (const s of m.snapshots) if (s.timestampMs >= o.olderThanMs) keep.add(s.snapshotId);
  return keep;
}

export async function expireSnapshots(ctx: TableContext, id: TableIdentifier, o: ExpireOptions): Promise<ExpireResult> {
  let expired: Snapshot[] = [];
  const table = await commitWithRetry(
    ctx,
    id,
    async (base) => {
      const m = base.metadata;
      const keep = retained(m, o);
      expired = m.snapshots.filter((s) => !keep.has(s.snapshotId));
      if (expired.length === 0) return undefined;
      const now = Math.max(Date.now(), m.lastUpdatedMs + 1);
      return {
        attemptFiles: [],
        metadata: {
          ...m,
          lastUpdatedMs: now,
          snapshots: m.snapshots.filter((s) => keep.has(s.snapshotId)),
          snapshotLog: m.snapshotLog.filter((e) => keep.has(e.snapshotId)),
          metadataLog: [...m.metadataLog, { timestampMs: m.lastUpdatedMs, metadataFile: base.metadataLocation }],
        },
      };
    },
    o,
  );
  if (expired.length === 0) return { table, expiredSnapshotIds: [], deletedFiles: [] };
  // Compute against the committed metadata: files still reachable from any kept snapshot stay.
  const live = await reachable(ctx.store, table.metadata, table.metadata.snapshots, false);
  const dead = await reachable(ctx.store, table.metadata, expired, true);
  const deletedFiles = [...dead].filter((f) => !live.has(f));
  for (const f of deletedFiles) await ctx.store.delete(f);
  return { table, expiredSnapshotIds: expired.map((s) => s.snapshotId), deletedFiles };
}

/**
 * Deletes files under the table location that no metadata references and that are older than
 * `olderThanMs` (so files of commits in flight are never touched).
 */
export async function removeOrphanFiles(
  ctx: TableContext,
  id: TableIdentifier,
  o: { olderThanMs: number },
): Promise<string[]> {
  const t = await loadTable(ctx, id);
  const m = t.metadata;
  const referenced = await reachable(ctx.store, m, m.snapshots, false);
  referenced.add(t.metadataLocation);
  for (const e of m.metadataLog) referenced.add(e.metadataFile);
  const markers = markerPrefix(m.location);
  const orphans = (await ctx.store.list(`${m.location}/`)).filter(
    (f) => !referenced.has(f.location) && !f.location.startsWith(markers) && f.lastModifiedMs < o.olderThanMs,
  );
  for (const f of orphans) await ctx.store.delete(f.location);
  return orphans.map((f) => f.location);
}

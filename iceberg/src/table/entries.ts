/** Reading the data files of a snapshot, with sequence-number and snapshot-id inheritance applied. */
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { EntryStatus, type ManifestEntry, readManifest } from "../manifest/manifest.ts";
import { type ManifestFile, readManifestList } from "../manifest/manifest-list.ts";
import type { Snapshot, TableMetadata } from "../spec/metadata.ts";
import { currentSchema } from "../spec/metadata.ts";
import { type BoundPartitionField, bindPartitionSpec } from "../spec/partition.ts";

/** An entry whose snapshot id and sequence numbers are resolved (never inherited-null). */
export interface ResolvedEntry extends ManifestEntry {
  readonly snapshotId: bigint;
  readonly sequenceNumber: bigint;
  readonly fileSequenceNumber: bigint;
}

export function boundFieldsFor(m: TableMetadata, specId: number): BoundPartitionField[] {
  const spec = m.partitionSpecs.find((s) => s.specId === specId);
  if (!spec) throw new IcebergError("corrupt-metadata", `partition spec ${specId} is not in the table metadata`);
  // Partition source fields may have been dropped from the current schema; fall back to any schema that has them.
  for (const schema of [currentSchema(m), ...m.schemas]) {
    try {
      return bindPartitionSpec(spec, schema);
    } catch {
      /* try the next schema */
    }
  }
  throw new IcebergError("corrupt-metadata", `partition spec ${specId} does not bind to any schema`);
}

export async function snapshotManifests(store: ObjectStore, s: Snapshot | undefined): Promise<ManifestFile[]> {
  if (!s) return [];
  return await readManifestList(store, s.manifestList);
}

/** Entries of one manifest with inheritance from its manifest-list entry (spec: only ADDED entries inherit). */
export async function readResolvedEntries(
  store: ObjectStore,
  m: TableMetadata,
  mf: ManifestFile,
): Promise<ResolvedEntry[]> {
  const entries = await readManifest(store, mf.manifestPath, boundFieldsFor(m, mf.partitionSpecId), mf.partitionSpecId);
  return entries.map((e) => {
    const seq = e.sequenceNumber ?? (e.status === EntryStatus.ADDED ? mf.sequenceNumber : undefined);
    if (seq === undefined)
      throw new IcebergError("corrupt-metadata", `entry ${e.dataFile.filePath} has no sequence number`, {
        file: mf.manifestPath,
      });
    return {
      ...e,
      snapshotId: e.snapshotId ?? mf.addedSnapshotId,
      sequenceNumber: seq,
      fileSequenceNumber: e.fileSequenceNumber ?? (e.status === EntryStatus.ADDED ? mf.sequenceNumber : seq),
    };
  });
}

/** Every live (ADDED or EXISTING) data file of a snapshot. */
export async function liveEntries(
  store: ObjectStore,
  m: TableMetadata,
  s: Snapshot | undefined,
): Promise<ResolvedEntry[]> {
  const out: ResolvedEntry[] = [];
  for (const mf of await snapshotManifests(store, s)) {
    if (mf.content !== 0)
      throw new IcebergError("corrupt-metadata", "delete manifests are not supported", { file: mf.manifestPath });
    for (const e of await readResolvedEntries(store, m, mf)) if (e.status !== EntryStatus.DELETED) out.push(e);
  }
  return out;
}

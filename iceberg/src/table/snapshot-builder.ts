/** Shared steps of snapshot-producing operations: manifests, manifest list, summary, new metadata. */
import { randomUUID } from "node:crypto";
import type { ObjectStore } from "../io/object-store.ts";
import type { DataFile } from "../manifest/data-file.ts";
import { EntryStatus, type ManifestEntry, type ManifestInfo, writeManifest } from "../manifest/manifest.ts";
import { type ManifestFile, writeManifestList } from "../manifest/manifest-list.ts";
import {
  currentSchema,
  currentSnapshot,
  type Snapshot,
  type SnapshotOperation,
  type TableMetadata,
} from "../spec/metadata.ts";
import { boundFieldsFor } from "./entries.ts";

export function manifestLocation(m: TableMetadata): string {
  return `${m.location}/metadata/${randomUUID()}-m0.avro`;
}

/** Writes one manifest of the given entries (all of one spec). */
export async function writeEntries(
  store: ObjectStore,
  m: TableMetadata,
  specId: number,
  entries: readonly ManifestEntry[],
): Promise<ManifestInfo> {
  const spec = m.partitionSpecs.find((s) => s.specId === specId)!;
  return await writeManifest({
    store,
    location: manifestLocation(m),
    schema: currentSchema(m),
    spec,
    boundFields: boundFieldsFor(m, specId),
    entries,
  });
}

/** Groups files by spec id and writes one ADDED manifest per spec. Sequence numbers are left to inheritance. */
export async function writeAddedManifests(
  store: ObjectStore,
  m: TableMetadata,
  snapshotId: bigint,
  files: readonly DataFile[],
): Promise<ManifestInfo[]> {
  const bySpec = new Map<number, DataFile[]>();
  for (const f of files) bySpec.set(f.specId, [...(bySpec.get(f.specId) ?? []), f]);
  const out: ManifestInfo[] = [];
  for (const [specId, group] of bySpec) {
    const entries = group.map((dataFile) => ({
      status: EntryStatus.ADDED,
      snapshotId,
      sequenceNumber: undefined,
      fileSequenceNumber: undefined,
      dataFile,
    }));
    out.push(await writeEntries(store, m, specId, entries));
  }
  return out;
}

/** The manifest-list entry of a manifest this snapshot wrote. */
export function listEntryFor(info: ManifestInfo, snapshotId: bigint, sequenceNumber: bigint): ManifestFile {
  return {
    manifestPath: info.path,
    manifestLength: info.length,
    partitionSpecId: info.specId,
    content: 0,
    sequenceNumber,
    // Entries with inherited (null) sequence numbers get this snapshot's number.
    minSequenceNumber:
      info.minSequenceNumber === undefined
        ? sequenceNumber
        : info.addedFiles > 0 && sequenceNumber < info.minSequenceNumber
          ? sequenceNumber
          : info.minSequenceNumber,
    addedSnapshotId: snapshotId,
    addedFilesCount: info.addedFiles,
    existingFilesCount: info.existingFiles,
    deletedFilesCount: info.deletedFiles,
    addedRowsCount: info.addedRows,
    existingRowsCount: info.existingRows,
    deletedRowsCount: info.deletedRows,
    partitions: info.partitions,
  };
}

export interface SnapshotChange {
  readonly operation: SnapshotOperation;
  readonly snapshotId: bigint;
  readonly manifests: readonly ManifestFile[];
  readonly added: readonly DataFile[];
  readonly removed: readonly DataFile[];
  readonly extraSummary?: Readonly<Record<string, string>>;
}

/** Writes the manifest list and returns the new metadata plus the list's location. */
export async function commitSnapshot(
  store: ObjectStore,
  base: TableMetadata,
  baseLocation: string,
  change: SnapshotChange,
  attempt: number,
): Promise<{ metadata: TableMetadata; manifestList: string }> {
  const parent = currentSnapshot(base);
  const sequenceNumber = base.lastSequenceNumber + 1n;
  const manifests = change.manifests;
  const manifestList = `${base.location}/metadata/snap-${change.snapshotId}-${attempt}-${randomUUID()}.avro`;
  await writeManifestList(store, manifestList, change.snapshotId, parent?.snapshotId, sequenceNumber, manifests);
  const now = Math.max(Date.now(), base.lastUpdatedMs + 1);
  const snapshot: Snapshot = {
    snapshotId: change.snapshotId,
    ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
    sequenceNumber,
    timestampMs: now,
    manifestList,
    summary: summarize(change, manifests, parent),
    schemaId: base.currentSchemaId,
  };
  const maxLog = Number(base.properties["write.metadata.previous-versions-max"] ?? 100);
  return {
    manifestList,
    metadata: {
      ...base,
      lastSequenceNumber: sequenceNumber,
      lastUpdatedMs: now,
      currentSnapshotId: snapshot.snapshotId,
      snapshots: [...base.snapshots, snapshot],
      snapshotLog: [...base.snapshotLog, { timestampMs: now, snapshotId: snapshot.snapshotId }],
      metadataLog: [...base.metadataLog, { timestampMs: base.lastUpdatedMs, metadataFile: baseLocation }].slice(
        -maxLog,
      ),
      refs: { ...base.refs, main: { snapshotId: snapshot.snapshotId, type: "branch" } },
    },
  };
}

function summarize(
  change: SnapshotChange,
  manifests: readonly ManifestFile[],
  parent: Snapshot | undefined,
): Snapshot["summary"] {
  const sum = (fs: readonly DataFile[], f: (d: DataFile) => number): number => fs.reduce((s, d) => s + f(d), 0);
  let totalFiles = 0;
  let totalRows = 0n;
  for (const mf of manifests) {
    totalFiles += mf.addedFilesCount + mf.existingFilesCount;
    totalRows += mf.addedRowsCount + mf.existingRowsCount;
  }
  const out: Record<string, string> = { operation: change.operation };
  const partitions = new Set(
    [...change.added, ...change.removed].map(
      (f) =>
        `${f.specId}/${f.partition.map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : String(v))).join("/")}`,
    ),
  );
  if (change.added.length > 0) {
    out["added-data-files"] = String(change.added.length);
    out["added-records"] = String(sum(change.added, (d) => d.recordCount));
    out["added-files-size"] = String(sum(change.added, (d) => d.fileSizeInBytes));
  }
  if (change.removed.length > 0) {
    out["deleted-data-files"] = String(change.removed.length);
    out["deleted-records"] = String(sum(change.removed, (d) => d.recordCount));
    out["removed-files-size"] = String(sum(change.removed, (d) => d.fileSizeInBytes));
  }
  out["changed-partition-count"] = String(partitions.size);
  out["total-data-files"] = String(totalFiles);
  out["total-records"] = totalRows.toString();
  const parentSize = parent?.summary["total-files-size"];
  if (parentSize !== undefined || !parent) {
    const size =
      Number(parentSize ?? 0) +
      sum(change.added, (d) => d.fileSizeInBytes) -
      sum(change.removed, (d) => d.fileSizeInBytes);
    out["total-files-size"] = String(size);
  }
  out["total-delete-files"] = "0";
  out["total-position-deletes"] = "0";
  out["total-equality-deletes"] = "0";
  return { ...out, ...change.extraSummary, operation: change.operation };
}

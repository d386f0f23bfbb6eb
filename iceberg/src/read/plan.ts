/**
 * Read planning: the data files of a snapshot that can hold rows matching a
 * filter (pruned by the shared `planScan`), each with the delete files that
 * apply to it under the spec's sequence-number rules:
 *
 * - a position delete applies when data seq ≤ delete seq (and the partition
 *   matches, or the delete's spec is unpartitioned; `referenced_data_file`
 *   narrows it to one file);
 * - an equality delete applies when data seq < delete seq, and the delete's
 *   spec is unpartitioned or equal to the data file's spec and partition.
 */
import { IcebergError } from "../errors.ts";
import type { DataFile } from "../manifest/data-file.ts";
import type { Filter } from "../scan/filter.ts";
import { planScan, type ScanManifest } from "../scan/plan.ts";
import { compareValues } from "../spec/conversions.ts";
import { currentSchema, currentSnapshot, type Snapshot, snapshotById } from "../spec/metadata.ts";
import type { BoundPartitionField } from "../spec/partition.ts";
import type { PrimitiveValue, Schema } from "../spec/types.ts";
import { type DeleteFile, type ReadEntry, readSnapshotFiles } from "./manifests.ts";
import type { ReadableTable } from "./open.ts";

export interface FileScanTask {
  readonly dataFile: DataFile;
  /** Where to read it (the stored path mapped through the table's location mapping). */
  readonly location: string;
  readonly dataSequenceNumber: bigint;
  readonly partitionFields: readonly BoundPartitionField[];
  readonly positionDeletes: readonly DeleteTask[];
  readonly equalityDeletes: readonly DeleteTask[];
}

export interface DeleteTask {
  readonly deleteFile: DeleteFile;
  readonly location: string;
  readonly sequenceNumber: bigint;
}

export interface ReadPlan {
  /** Undefined for a table without snapshots (no rows). */
  readonly snapshot: Snapshot | undefined;
  /** The schema rows are projected on. */
  readonly schema: Schema;
  readonly tasks: readonly FileScanTask[];
  /** Every live delete file of the snapshot. */
  readonly deleteFiles: readonly DeleteTask[];
  readonly totalDataFiles: number;
  readonly skippedDataFiles: number;
  readonly skippedBytes: number;
}

export interface PlanOptions {
  /** Default: the current snapshot. */
  readonly snapshotId?: bigint;
  /** Prunes files by partition values and column bounds. Default: everything. */
  readonly filter?: Filter;
  /** Project on the snapshot's own schema instead of the table's current schema. Default false. */
  readonly snapshotSchema?: boolean;
}

function samePartition(a: readonly (PrimitiveValue | null)[], b: readonly (PrimitiveValue | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x !== y) return false;
    } else if (compareValues(x, y) !== 0) return false;
  }
  return true;
}

function isUnpartitioned(t: ReadableTable, specId: number): boolean {
  const spec = t.metadata.partitionSpecs.find((s) => s.specId === specId);
  return spec === undefined || spec.fields.every((f) => f.transform.kind === "void");
}

export function schemaFor(t: ReadableTable, snapshot: Snapshot | undefined, snapshotSchema: boolean): Schema {
  if (snapshotSchema && snapshot?.schemaId !== undefined) {
    const s = t.metadata.schemas.find((x) => x.schemaId === snapshot.schemaId);
    if (s) return s;
  }
  return currentSchema(t.metadata);
}

export async function planRead(t: ReadableTable, options: PlanOptions = {}): Promise<ReadPlan> {
  const snapshot =
    options.snapshotId === undefined ? currentSnapshot(t.metadata) : snapshotById(t.metadata, options.snapshotId);
  if (options.snapshotId !== undefined && !snapshot)
    throw new IcebergError("invalid-operation", `snapshot ${options.snapshotId} does not exist`, {
      file: t.metadataLocation,
    });
  const schema = schemaFor(t, snapshot, options.snapshotSchema ?? false);
  const files = await readSnapshotFiles(t.store, t, snapshot, t.resolve);
  // planScan groups by manifest spec; the entries keep their sequence numbers by identity.
  const bySpec = new Map<number, { fields: readonly BoundPartitionField[]; files: DataFile[] }>();
  const entryOf = new Map<DataFile, ReadEntry<DataFile>>();
  for (const d of files.data) {
    entryOf.set(d.entry.file, d.entry);
    const g = bySpec.get(d.entry.file.specId) ?? { fields: d.partitionFields, files: [] };
    g.files.push(d.entry.file);
    bySpec.set(d.entry.file.specId, g);
  }
  const manifests: ScanManifest[] = [...bySpec.values()].map((g) => ({ partitionFields: g.fields, files: g.files }));
  const plan = planScan(schema, manifests, options.filter ?? { op: "true" });
  const deleteTasks: DeleteTask[] = files.deletes.map((d) => ({
    deleteFile: d.file,
    location: t.resolve(d.file.filePath),
    sequenceNumber: d.sequenceNumber,
  }));
  const tasks = plan.files.map((df): FileScanTask => {
    const e = entryOf.get(df);
    if (!e) throw new Error("planned file has no manifest entry");
    const scoped = (d: DeleteTask): boolean =>
      isUnpartitioned(t, d.deleteFile.specId) ||
      (d.deleteFile.specId === df.specId && samePartition(d.deleteFile.partition, df.partition));
    return {
      dataFile: df,
      location: t.resolve(df.filePath),
      dataSequenceNumber: e.sequenceNumber,
      partitionFields: bySpec.get(df.specId)?.fields ?? [],
      positionDeletes: deleteTasks.filter(
        (d) =>
          d.deleteFile.content === 1 &&
          e.sequenceNumber <= d.sequenceNumber &&
          scoped(d) &&
          (d.deleteFile.referencedDataFile === undefined || d.deleteFile.referencedDataFile === df.filePath),
      ),
      equalityDeletes: deleteTasks.filter(
        (d) => d.deleteFile.content === 2 && e.sequenceNumber < d.sequenceNumber && scoped(d),
      ),
    };
  });
  return {
    snapshot,
    schema,
    tasks,
    deleteFiles: deleteTasks,
    totalDataFiles: plan.totalFiles,
    skippedDataFiles: plan.skippedFiles,
    skippedBytes: plan.skippedBytes,
  };
}

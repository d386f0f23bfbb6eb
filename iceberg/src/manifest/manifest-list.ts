/** Manifest lists: one per snapshot, one `manifest_file` record per manifest. */

import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { type AvroRecord, decodeContainer, encodeContainer } from "./avro-io.ts";
import { MANIFEST_LIST_SCHEMA } from "./avro-schemas.ts";
import type { PartitionFieldSummary } from "./manifest.ts";

export interface ManifestFile {
  readonly manifestPath: string;
  readonly manifestLength: number;
  readonly partitionSpecId: number;
  readonly content: 0 | 1;
  readonly sequenceNumber: bigint;
  readonly minSequenceNumber: bigint;
  readonly addedSnapshotId: bigint;
  readonly addedFilesCount: number;
  readonly existingFilesCount: number;
  readonly deletedFilesCount: number;
  readonly addedRowsCount: bigint;
  readonly existingRowsCount: bigint;
  readonly deletedRowsCount: bigint;
  readonly partitions: readonly PartitionFieldSummary[];
}

export async function writeManifestList(
  store: ObjectStore,
  location: string,
  snapshotId: bigint,
  parentSnapshotId: bigint | undefined,
  sequenceNumber: bigint,
  manifests: readonly ManifestFile[],
): Promise<void> {
  const records = manifests.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: BigInt(m.manifestLength),
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: m.sequenceNumber,
    min_sequence_number: m.minSequenceNumber,
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: m.addedRowsCount,
    existing_rows_count: m.existingRowsCount,
    deleted_rows_count: m.deletedRowsCount,
    partitions: m.partitions.map((p) => ({
      contains_null: p.containsNull,
      contains_nan: p.containsNan ?? null,
      lower_bound: p.lowerBound ? Buffer.from(p.lowerBound) : null,
      upper_bound: p.upperBound ? Buffer.from(p.upperBound) : null,
    })),
    key_metadata: null,
  }));
  const meta: Record<string, string> = {
    "snapshot-id": snapshotId.toString(),
    "sequence-number": sequenceNumber.toString(),
    "format-version": "2",
  };
  // Java writes the literal "null" when there is no parent.
  meta["parent-snapshot-id"] = parentSnapshotId === undefined ? "null" : parentSnapshotId.toString();
  await store.put(location, await encodeContainer(MANIFEST_LIST_SCHEMA, records, meta));
}

export async function readManifestList(store: ObjectStore, location: string): Promise<ManifestFile[]> {
  const { records } = await decodeContainer(await store.get(location), location);
  try {
    return records.map((r: AvroRecord) => {
      const big = (k: string, dflt?: bigint): bigint => {
        const v = r[k];
        if (v === null || v === undefined) {
          if (dflt !== undefined) return dflt;
          throw new Error(`missing ${k}`);
        }
        return BigInt(v as bigint);
      };
      const int = (...keys: string[]): number => {
        for (const k of keys) if (typeof r[k] === "number") return r[k] as number;
        return 0;
      };
      const parts = (r.partitions as AvroRecord[] | null) ?? [];
      return {
        manifestPath: String(r.manifest_path),
        manifestLength: Number(big("manifest_length")),
        partitionSpecId: int("partition_spec_id"),
        content: int("content") as 0 | 1,
        sequenceNumber: big("sequence_number", 0n),
        minSequenceNumber: big("min_sequence_number", 0n),
        addedSnapshotId: big("added_snapshot_id"),
        // v1 manifest lists name the counts *_data_files_count.
        addedFilesCount: int("added_files_count", "added_data_files_count"),
        existingFilesCount: int("existing_files_count", "existing_data_files_count"),
        deletedFilesCount: int("deleted_files_count", "deleted_data_files_count"),
        addedRowsCount: big("added_rows_count", 0n),
        existingRowsCount: big("existing_rows_count", 0n),
        deletedRowsCount: big("deleted_rows_count", 0n),
        partitions: parts.map((p) => ({
          containsNull: Boolean(p.contains_null),
          containsNan: p.contains_nan === null || p.contains_nan === undefined ? undefined : Boolean(p.contains_nan),
          lowerBound: p.lower_bound ? new Uint8Array(p.lower_bound as Buffer) : undefined,
          upperBound: p.upper_bound ? new Uint8Array(p.upper_bound as Buffer) : undefined,
        })),
      };
    });
  } catch (e) {
    throw new IcebergError("corrupt-metadata", `invalid manifest list: ${(e as Error).message}`, {
      file: location,
      cause: e,
    });
  }
}

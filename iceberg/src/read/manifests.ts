/**
 * Manifests as other engines write them: v1 and v2 entries, data files and
 * delete files (the write side's reader knows data files only). Partition
 * values are matched by the `field-id` in the Avro schema of the file itself,
 * since Avro record field names are sanitized by some writers. Sequence
 * numbers and snapshot ids are inherited from the manifest list as the spec
 * says (ADDED entries only; v1 has no sequence numbers, which count as 0).
 */
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { type JsonValue, parseJson } from "../json/exact-json.ts";
import { type AvroRecord, decodeContainer } from "../manifest/avro-io.ts";
import type { DataFile } from "../manifest/data-file.ts";
import { EntryStatus } from "../manifest/manifest.ts";
import { type ManifestFile, readManifestList } from "../manifest/manifest-list.ts";
import { fromBytes } from "../spec/conversions.ts";
import type { Snapshot } from "../spec/metadata.ts";
import type { BoundPartitionField } from "../spec/partition.ts";
import type { PrimitiveValue } from "../spec/types.ts";
import { boundFieldsFor } from "../table/entries.ts";
import { INLINE_MANIFESTS, type ParsedMetadata } from "./metadata-compat.ts";

/** A delete file (content 1 = position deletes, 2 = equality deletes). */
export interface DeleteFile {
  readonly content: 1 | 2;
  readonly filePath: string;
  readonly specId: number;
  readonly partition: readonly (PrimitiveValue | null)[];
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  /** Field ids that make up the equality key (content 2). */
  readonly equalityIds: readonly number[];
  /** The one data file a position delete file applies to, when the writer recorded it. */
  readonly referencedDataFile?: string;
}

export interface ReadEntry<F> {
  readonly status: EntryStatus;
  readonly snapshotId: bigint;
  /** Data sequence number (inherited when the entry has none). */
  readonly sequenceNumber: bigint;
  readonly file: F;
}

export interface SnapshotFiles {
  /** Live data files of the snapshot, with their manifest's bound partition fields. */
  readonly data: { readonly entry: ReadEntry<DataFile>; readonly partitionFields: readonly BoundPartitionField[] }[];
  /** Live delete files. */
  readonly deletes: ReadEntry<DeleteFile>[];
  readonly manifests: readonly ManifestFile[];
}

type Resolve = (stored: string) => string;

function unsupported(feature: string, file: string): never {
  throw new IcebergError("unsupported-feature", `${feature} is not supported by this reader`, { file });
}

/** field-id → Avro field name of the partition record, from the writer schema in the file header. */
function partitionNames(schemaJson: string | undefined): Map<number, string> {
  const out = new Map<number, string>();
  if (schemaJson === undefined) return out;
  const root = parseJson(schemaJson);
  const fieldsOf = (t: JsonValue | undefined): JsonValue[] => {
    if (Array.isArray(t)) {
      for (const x of t) if (x !== null && typeof x === "object" && !Array.isArray(x)) return fieldsOf(x);
      return [];
    }
    if (t !== null && typeof t === "object" && !Array.isArray(t) && Array.isArray(t.fields)) return t.fields;
    return [];
  };
  const field = (fields: JsonValue[], name: string): JsonValue | undefined => {
    for (const f of fields) if (f !== null && typeof f === "object" && !Array.isArray(f) && f.name === name) return f;
    return undefined;
  };
  const df = field(fieldsOf(root), "data_file");
  const dfType = df && typeof df === "object" && !Array.isArray(df) ? df.type : undefined;
  const part = field(fieldsOf(dfType), "partition");
  const partType = part && typeof part === "object" && !Array.isArray(part) ? part.type : undefined;
  for (const f of fieldsOf(partType)) {
    if (f !== null && typeof f === "object" && !Array.isArray(f) && typeof f["field-id"] === "number")
      out.set(f["field-id"], String(f.name));
  }
  return out;
}

function partitionValues(
  fields: readonly BoundPartitionField[],
  names: Map<number, string>,
  rec: AvroRecord | null,
): (PrimitiveValue | null)[] {
  return fields.map((f) => {
    const v = rec?.[names.get(f.fieldId) ?? f.name];
    if (v === null || v === undefined) return null;
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
      const b = new Uint8Array(v);
      return f.resultType.startsWith("decimal") ? fromBytes(f.resultType, b) : b;
    }
    const t = f.resultType;
    if (t === "long" || t === "time" || t === "timestamp" || t === "timestamptz") return BigInt(v as number | bigint);
    if (t === "int" || t === "date") return Number(v);
    return v as PrimitiveValue;
  });
}

function longMap(v: unknown): Map<number, number> {
  const out = new Map<number, number>();
  for (const kv of (v as { key: number; value: bigint }[] | null) ?? []) out.set(kv.key, Number(kv.value));
  return out;
}

function bytesMap(v: unknown): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const kv of (v as { key: number; value: Buffer }[] | null) ?? []) out.set(kv.key, new Uint8Array(kv.value));
  return out;
}

async function manifestFilesOf(
  store: ObjectStore,
  parsed: ParsedMetadata,
  snapshot: Snapshot,
  resolve: Resolve,
): Promise<ManifestFile[]> {
  if (!snapshot.manifestList.startsWith(INLINE_MANIFESTS))
    return await readManifestList(store, resolve(snapshot.manifestList));
  // v1 snapshot with an inline `manifests` list: spec id and counts come from each manifest.
  return (parsed.inlineManifests.get(snapshot.snapshotId) ?? []).map((p) => ({
    manifestPath: p,
    manifestLength: 0,
    partitionSpecId: -1,
    content: 0,
    sequenceNumber: 0n,
    minSequenceNumber: 0n,
    addedSnapshotId: snapshot.snapshotId,
    addedFilesCount: 0,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 0n,
    existingRowsCount: 0n,
    deletedRowsCount: 0n,
    partitions: [],
  }));
}

/** Reads every manifest of a snapshot and returns its live data and delete files. */
export async function readSnapshotFiles(
  store: ObjectStore,
  parsed: ParsedMetadata,
  snapshot: Snapshot | undefined,
  resolve: Resolve,
): Promise<SnapshotFiles> {
  const out: SnapshotFiles = { data: [], deletes: [], manifests: [] };
  if (!snapshot) return out;
  const manifests = await manifestFilesOf(store, parsed, snapshot, resolve);
  (out as { manifests: readonly ManifestFile[] }).manifests = manifests;
  for (const mf of manifests) {
    const location = resolve(mf.manifestPath);
    const { metadata, records } = await decodeContainer(await store.get(location), location);
    const specId = mf.partitionSpecId >= 0 ? mf.partitionSpecId : Number(metadata["partition-spec-id"] ?? 0);
    const fields = boundFieldsFor(parsed.metadata, specId);
    const names = partitionNames(metadata["avro.schema"]);
    for (const r of records) {
      const status = Number(r.status) as EntryStatus;
      if (status === EntryStatus.DELETED) continue;
      const df = r.data_file as AvroRecord;
      const content = Number(df.content ?? 0);
      const format = String(df.file_format).toUpperCase();
      const path = String(df.file_path);
      if (df.key_metadata !== null && df.key_metadata !== undefined) unsupported("encrypted data files", path);
      if (content === 1 && (format === "PUFFIN" || (df.content_offset !== undefined && df.content_offset !== null)))
        unsupported("deletion vectors (puffin position deletes, format v3)", path);
      if (format !== "PARQUET") unsupported(`${format} files`, path);
      if (content !== 0 && content !== 1 && content !== 2) unsupported(`manifest entry content ${content}`, path);
      const rawSeq = r.sequence_number as bigint | null | undefined;
      const seq =
        rawSeq !== null && rawSeq !== undefined
          ? BigInt(rawSeq)
          : status === EntryStatus.ADDED || parsed.formatVersion === 1
            ? mf.sequenceNumber
            : undefined;
      if (seq === undefined)
        throw new IcebergError("corrupt-metadata", `entry ${path} has no sequence number`, { file: location });
      const rawSnap = r.snapshot_id as bigint | null | undefined;
      const snapshotId = rawSnap === null || rawSnap === undefined ? mf.addedSnapshotId : BigInt(rawSnap);
      const partition = partitionValues(fields, names, (df.partition as AvroRecord | null) ?? null);
      if (content === 0) {
        const splits = df.split_offsets as bigint[] | null | undefined;
        const sortOrderId = df.sort_order_id as number | null | undefined;
        const file: DataFile = {
          content: 0,
          filePath: path,
          fileFormat: "PARQUET",
          specId,
          partition,
          recordCount: Number(df.record_count),
          fileSizeInBytes: Number(df.file_size_in_bytes),
          columnSizes: longMap(df.column_sizes),
          valueCounts: longMap(df.value_counts),
          nullValueCounts: longMap(df.null_value_counts),
          nanValueCounts: longMap(df.nan_value_counts),
          lowerBounds: bytesMap(df.lower_bounds),
          upperBounds: bytesMap(df.upper_bounds),
          ...(splits ? { splitOffsets: splits.map(Number) } : {}),
          ...(sortOrderId === null || sortOrderId === undefined ? {} : { sortOrderId }),
        };
        out.data.push({ entry: { status, snapshotId, sequenceNumber: seq, file }, partitionFields: fields });
      } else {
        const eq = (df.equality_ids as number[] | null | undefined) ?? [];
        if (content === 2 && eq.length === 0)
          throw new IcebergError("corrupt-metadata", "equality delete file without equality_ids", { file: path });
        const ref = df.referenced_data_file as string | null | undefined;
        out.deletes.push({
          status,
          snapshotId,
          sequenceNumber: seq,
          file: {
            content: content as 1 | 2,
            filePath: path,
            specId,
            partition,
            recordCount: Number(df.record_count),
            fileSizeInBytes: Number(df.file_size_in_bytes),
            equalityIds: eq.map(Number),
            ...(typeof ref === "string" ? { referencedDataFile: ref } : {}),
          },
        });
      }
    }
  }
  return out;
}

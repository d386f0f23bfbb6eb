/**
 * Manifest files: write and read `manifest_entry` Avro files.
 *
 * Sequence-number inheritance (spec "Sequence Number Inheritance"): entries
 * ADDED by a snapshot are written with null `sequence_number` and
 * `file_sequence_number`; readers take them from the manifest list entry.
 * That keeps a manifest reusable when a commit is retried on a new base with
 * a new sequence number. EXISTING and DELETED entries carry explicit values.
 */
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { stringifyJson } from "../json/exact-json.ts";
import { compareValues as cmp, fromBytes, toBytes } from "../spec/conversions.ts";
import { type BoundPartitionField, type PartitionSpec, partitionSpecToJson } from "../spec/partition.ts";
import { schemaToJson } from "../spec/schema-json.ts";
import type { PrimitiveValue, Schema } from "../spec/types.ts";
import { type AvroRecord, decodeContainer, encodeContainer } from "./avro-io.ts";
import { manifestEntrySchema } from "./avro-schemas.ts";
import type { DataFile } from "./data-file.ts";

export const EntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

export interface ManifestEntry {
  readonly status: EntryStatus;
  /** Snapshot that added (or deleted) the file; inherited from the manifest list when absent. */
  readonly snapshotId: bigint | undefined;
  /** Data sequence number; inherited when absent. */
  readonly sequenceNumber: bigint | undefined;
  readonly fileSequenceNumber: bigint | undefined;
  readonly dataFile: DataFile;
}

export interface ManifestInfo {
  readonly path: string;
  readonly length: number;
  readonly specId: number;
  readonly addedFiles: number;
  readonly existingFiles: number;
  readonly deletedFiles: number;
  readonly addedRows: bigint;
  readonly existingRows: bigint;
  readonly deletedRows: bigint;
  /** Lowest explicit data sequence number in the manifest; undefined when all are inherited. */
  readonly minSequenceNumber: bigint | undefined;
  readonly partitions: PartitionFieldSummary[];
}

export interface PartitionFieldSummary {
  readonly containsNull: boolean;
  readonly containsNan: boolean | undefined;
  readonly lowerBound: Uint8Array | undefined;
  readonly upperBound: Uint8Array | undefined;
}

function mapToAvro(m: ReadonlyMap<number, number | Uint8Array>, asLong: boolean): AvroRecord[] {
  return [...m].map(([key, value]) => ({
    key,
    value: value instanceof Uint8Array ? Buffer.from(value) : asLong ? BigInt(value) : value,
  }));
}

function partitionToAvro(
  fields: readonly BoundPartitionField[],
  values: readonly (PrimitiveValue | null)[],
): AvroRecord {
  const out: AvroRecord = {};
  fields.forEach((f, i) => {
    const v = values[i] ?? null;
    if (v === null) out[f.name] = null;
    else if (v instanceof Uint8Array) out[f.name] = Buffer.from(v);
    else if (f.resultType.startsWith("decimal")) {
      // Decimal partition values are Avro fixed: sign-extended big-endian two's complement.
      const size = Math.ceil((Math.log2(10 ** Number(/\((\d+)/.exec(f.resultType)![1])) + 1) / 8);
      const b = toBytes(f.resultType, v);
      const out2 = Buffer.alloc(size, (b[0]! & 0x80) !== 0 ? 0xff : 0);
      Buffer.from(b).copy(out2, size - b.length);
      out[f.name] = out2;
    } else if (f.resultType === "long" || f.resultType === "time" || f.resultType.startsWith("timestamp"))
      out[f.name] = BigInt(v as bigint);
    else out[f.name] = v;
  });
  return out;
}

function dataFileToAvro(fields: readonly BoundPartitionField[], f: DataFile): AvroRecord {
  return {
    content: f.content,
    file_path: f.filePath,
    file_format: f.fileFormat,
    partition: partitionToAvro(fields, f.partition),
    record_count: BigInt(f.recordCount),
    file_size_in_bytes: BigInt(f.fileSizeInBytes),
    column_sizes: mapToAvro(f.columnSizes, true),
    value_counts: mapToAvro(f.valueCounts, true),
    null_value_counts: mapToAvro(f.nullValueCounts, true),
    nan_value_counts: mapToAvro(f.nanValueCounts, true),
    lower_bounds: mapToAvro(f.lowerBounds, false),
    upper_bounds: mapToAvro(f.upperBounds, false),
    key_metadata: null,
    split_offsets: f.splitOffsets ? f.splitOffsets.map((x) => BigInt(x)) : null,
    equality_ids: null,
    sort_order_id: f.sortOrderId ?? null,
  };
}

export interface WriteManifestOptions {
  readonly store: ObjectStore;
  readonly location: string;
  readonly schema: Schema;
  readonly spec: PartitionSpec;
  readonly boundFields: readonly BoundPartitionField[];
  readonly entries: readonly ManifestEntry[];
}

/** Writes a manifest and returns what its manifest-list entry needs. */
export async function writeManifest(o: WriteManifestOptions): Promise<ManifestInfo> {
  const schema = manifestEntrySchema(o.boundFields);
  const records = o.entries.map((e) => ({
    status: e.status,
    snapshot_id: e.snapshotId ?? null,
    sequence_number: e.sequenceNumber ?? null,
    file_sequence_number: e.fileSequenceNumber ?? null,
    data_file: dataFileToAvro(o.boundFields, e.dataFile),
  }));
  const bytes = await encodeContainer(schema, records, {
    schema: stringifyJson(schemaToJson(o.schema)),
    "schema-id": String(o.schema.schemaId),
    "partition-spec": stringifyJson(partitionSpecToJson(o.spec).fields as never),
    "partition-spec-id": String(o.spec.specId),
    "format-version": "2",
    content: "data",
  });
  const { size } = await o.store.put(o.location, bytes);
  let addedFiles = 0;
  let existingFiles = 0;
  let deletedFiles = 0;
  let addedRows = 0n;
  let existingRows = 0n;
  let deletedRows = 0n;
  let minSeq: bigint | undefined;
  for (const e of o.entries) {
    const rows = BigInt(e.dataFile.recordCount);
    if (e.status === EntryStatus.ADDED) {
      addedFiles++;
      addedRows += rows;
    } else if (e.status === EntryStatus.EXISTING) {
      existingFiles++;
      existingRows += rows;
    } else {
      deletedFiles++;
      deletedRows += rows;
    }
    if (
      e.status !== EntryStatus.DELETED &&
      e.sequenceNumber !== undefined &&
      (minSeq === undefined || e.sequenceNumber < minSeq)
    )
      minSeq = e.sequenceNumber;
  }
  return {
    path: o.location,
    length: size,
    specId: o.spec.specId,
    addedFiles,
    existingFiles,
    deletedFiles,
    addedRows,
    existingRows,
    deletedRows,
    minSequenceNumber: minSeq,
    partitions: summarize(
      o.boundFields,
      o.entries.filter((e) => e.status !== EntryStatus.DELETED),
    ),
  };
}

function summarize(fields: readonly BoundPartitionField[], entries: readonly ManifestEntry[]): PartitionFieldSummary[] {
  return fields.map((f, i) => {
    let containsNull = false;
    let containsNan = false;
    let lo: PrimitiveValue | undefined;
    let hi: PrimitiveValue | undefined;
    for (const e of entries) {
      const v = e.dataFile.partition[i] ?? null;
      if (v === null) {
        containsNull = true;
        continue;
      }
      if (typeof v === "number" && Number.isNaN(v)) {
        containsNan = true;
        continue;
      }
      if (lo === undefined || cmp(v, lo) < 0) lo = v;
      if (hi === undefined || cmp(v, hi) > 0) hi = v;
    }
    return {
      containsNull,
      containsNan: f.resultType === "float" || f.resultType === "double" ? containsNan : false,
      lowerBound: lo === undefined ? undefined : toBytes(f.resultType, lo),
      upperBound: hi === undefined ? undefined : toBytes(f.resultType, hi),
    };
  });
}

function mapFromAvro(v: unknown): Map<number, number> {
  const out = new Map<number, number>();
  for (const kv of (v as { key: number; value: bigint }[] | null) ?? []) out.set(kv.key, Number(kv.value));
  return out;
}

function bytesMapFromAvro(v: unknown): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const kv of (v as { key: number; value: Buffer }[] | null) ?? []) out.set(kv.key, new Uint8Array(kv.value));
  return out;
}

function partitionFromAvro(fields: readonly BoundPartitionField[], rec: AvroRecord): (PrimitiveValue | null)[] {
  return fields.map((f) => {
    const v = rec[f.name];
    if (v === null || v === undefined) return null;
    if (Buffer.isBuffer(v)) {
      const b = new Uint8Array(v);
      return f.resultType.startsWith("decimal") ? fromBytes(f.resultType, b) : b;
    }
    if (typeof v === "bigint" && (f.resultType === "int" || f.resultType === "date")) return Number(v);
    return v as PrimitiveValue;
  });
}

/** Reads a manifest; `fields` are the partition fields of the manifest's spec. */
export async function readManifest(
  store: ObjectStore,
  location: string,
  fields: readonly BoundPartitionField[],
  specId: number,
): Promise<ManifestEntry[]> {
  const { records } = await decodeContainer(await store.get(location), location);
  try {
    return records.map((r) => {
      const df = r.data_file as AvroRecord;
      const content = Number(df.content ?? 0);
      if (content !== 0) throw new Error(`delete files (content ${content}) are not supported`);
      const format = String(df.file_format).toUpperCase();
      if (format !== "PARQUET") throw new Error(`data file format ${format} is not supported`);
      const opt = (x: unknown): bigint | undefined => (x === null || x === undefined ? undefined : (x as bigint));
      const splits = df.split_offsets as bigint[] | null;
      const sortOrderId = df.sort_order_id as number | null;
      return {
        status: Number(r.status) as EntryStatus,
        snapshotId: opt(r.snapshot_id),
        sequenceNumber: opt(r.sequence_number),
        fileSequenceNumber: opt(r.file_sequence_number),
        dataFile: {
          content: 0,
          filePath: String(df.file_path),
          fileFormat: "PARQUET",
          specId,
          partition: partitionFromAvro(fields, df.partition as AvroRecord),
          recordCount: Number(df.record_count),
          fileSizeInBytes: Number(df.file_size_in_bytes),
          columnSizes: mapFromAvro(df.column_sizes),
          valueCounts: mapFromAvro(df.value_counts),
          nullValueCounts: mapFromAvro(df.null_value_counts),
          nanValueCounts: mapFromAvro(df.nan_value_counts),
          lowerBounds: bytesMapFromAvro(df.lower_bounds),
          upperBounds: bytesMapFromAvro(df.upper_bounds),
          ...(splits ? { splitOffsets: splits.map(Number) } : {}),
          ...(sortOrderId === null || sortOrderId === undefined ? {} : { sortOrderId }),
        },
      } satisfies ManifestEntry;
    });
  } catch (e) {
    throw new IcebergError("corrupt-metadata", `invalid manifest: ${(e as Error).message}`, {
      file: location,
      cause: e,
    });
  }
}

/**
 * The Avro schemas of Iceberg v2 manifests and manifest lists, with the field
 * ids, record names and attributes the spec and the Java implementation use
 * (`manifest_entry`, `r2`, `r102`, `k117_v118`..., `manifest_file`, `r508`).
 */
import { IcebergError } from "../errors.ts";
import type { BoundPartitionField } from "../spec/partition.ts";
import { decimalParams, fixedLength, type PrimitiveType } from "../spec/types.ts";
import type { AvroSchema } from "./avro-io.ts";

function optional(name: string, type: AvroSchema, fieldId: number, doc?: string): Record<string, unknown> {
  return { name, type: ["null", type], default: null, "field-id": fieldId, ...(doc ? { doc } : {}) };
}

function required(name: string, type: AvroSchema, fieldId: number, doc?: string): Record<string, unknown> {
  return { name, type, "field-id": fieldId, ...(doc ? { doc } : {}) };
}

function mapOf(keyId: number, valueId: number, valueType: AvroSchema): AvroSchema {
  return {
    type: "array",
    items: {
      type: "record",
      name: `k${keyId}_v${valueId}`,
      fields: [
        { name: "key", type: "int", "field-id": keyId },
        { name: "value", type: valueType, "field-id": valueId },
      ],
    },
    logicalType: "map",
  };
}

/** Avro type of a partition value of a given Iceberg type. */
export function avroTypeOf(t: PrimitiveType): AvroSchema {
  switch (t) {
    case "boolean":
      return "boolean";
    case "int":
      return "int";
    case "long":
      return "long";
    case "float":
      return "float";
    case "double":
      return "double";
    case "date":
      return { type: "int", logicalType: "date" };
    case "time":
      return { type: "long", logicalType: "time-micros" };
    case "timestamp":
      return { type: "long", logicalType: "timestamp-micros", "adjust-to-utc": false };
    case "timestamptz":
      return { type: "long", logicalType: "timestamp-micros", "adjust-to-utc": true };
    case "string":
      return "string";
    case "uuid":
      return { type: "fixed", name: "uuid_fixed", size: 16, logicalType: "uuid" };
    case "binary":
      return "bytes";
  }
  const n = fixedLength(t);
  if (n !== undefined) return { type: "fixed", name: `fixed_${n}`, size: n };
  const d = decimalParams(t);
  if (d) {
    // Bytes needed for the largest unscaled value of this precision (two's complement).
    const size = Math.ceil((Math.log2(10 ** d.precision) + 1) / 8);
    return {
      type: "fixed",
      name: `decimal_${d.precision}_${d.scale}`,
      size,
      logicalType: "decimal",
      precision: d.precision,
      scale: d.scale,
    };
  }
  throw new IcebergError("invalid-spec", `no avro type for ${t}`);
}

export function partitionRecordSchema(fields: readonly BoundPartitionField[]): AvroSchema {
  return {
    type: "record",
    name: "r102",
    fields: fields.map((f) => optional(f.name, avroTypeOf(f.resultType), f.fieldId)),
  };
}

export function manifestEntrySchema(fields: readonly BoundPartitionField[]): AvroSchema {
  const dataFile = {
    type: "record",
    name: "r2",
    fields: [
      required("content", "int", 134, "Contents of the file: 0=data, 1=position deletes, 2=equality deletes"),
      required("file_path", "string", 100, "Location URI with FS scheme"),
      required("file_format", "string", 101, "File format name: avro, orc, or parquet"),
      required(
        "partition",
        partitionRecordSchema(fields),
        102,
        "Partition data tuple, schema based on the partition spec",
      ),
      required("record_count", "long", 103, "Number of records in the file"),
      required("file_size_in_bytes", "long", 104, "Total file size in bytes"),
      optional("column_sizes", mapOf(117, 118, "long"), 108, "Map of column id to total size on disk"),
      optional("value_counts", mapOf(119, 120, "long"), 109, "Map of column id to total count, including null and NaN"),
      optional("null_value_counts", mapOf(121, 122, "long"), 110, "Map of column id to null value count"),
      optional(
        "nan_value_counts",
        mapOf(138, 139, "long"),
        137,
        "Map of column id to number of NaN values in the column",
      ),
      optional("lower_bounds", mapOf(126, 127, "bytes"), 125, "Map of column id to lower bound"),
      optional("upper_bounds", mapOf(129, 130, "bytes"), 128, "Map of column id to upper bound"),
      optional("key_metadata", "bytes", 131, "Encryption key metadata blob"),
      optional("split_offsets", { type: "array", items: "long", "element-id": 133 }, 132, "Splittable offsets"),
      optional(
        "equality_ids",
        { type: "array", items: "int", "element-id": 136 },
        135,
        "Equality comparison field IDs",
      ),
      optional("sort_order_id", "int", 140, "Sort order ID"),
    ],
  };
  return {
    type: "record",
    name: "manifest_entry",
    fields: [
      required("status", "int", 0),
      optional("snapshot_id", "long", 1),
      optional("sequence_number", "long", 3),
      optional("file_sequence_number", "long", 4),
      required("data_file", dataFile, 2),
    ],
  };
}

export const MANIFEST_LIST_SCHEMA: AvroSchema = {
  type: "record",
  name: "manifest_file",
  fields: [
    required("manifest_path", "string", 500, "Location URI with FS scheme"),
    required("manifest_length", "long", 501, "Total file size in bytes"),
    required("partition_spec_id", "int", 502, "Spec ID used to write"),
    required("content", "int", 517, "Contents of the manifest: 0=data, 1=deletes"),
    required("sequence_number", "long", 515, "Sequence number when the manifest was added"),
    required("min_sequence_number", "long", 516, "Lowest sequence number in the manifest"),
    required("added_snapshot_id", "long", 503, "Snapshot ID that added the manifest"),
    required("added_files_count", "int", 504, "Added entry count"),
    required("existing_files_count", "int", 505, "Existing entry count"),
    required("deleted_files_count", "int", 506, "Deleted entry count"),
    required("added_rows_count", "long", 512, "Added rows count"),
    required("existing_rows_count", "long", 513, "Existing rows count"),
    required("deleted_rows_count", "long", 514, "Deleted rows count"),
    optional(
      "partitions",
      {
        type: "array",
        items: {
          type: "record",
          name: "r508",
          fields: [
            required("contains_null", "boolean", 509, "True if any file has a null partition value"),
            optional("contains_nan", "boolean", 518, "True if any file has a nan partition value"),
            optional("lower_bound", "bytes", 510, "Partition lower bound for all files"),
            optional("upper_bound", "bytes", 511, "Partition upper bound for all files"),
          ],
        },
        "element-id": 508,
      },
      507,
      "Summary for each partition",
    ),
    optional("key_metadata", "bytes", 519, "Encryption key metadata blob"),
  ],
};

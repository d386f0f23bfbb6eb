/**
 * Iceberg schema → Arrow schema for writing Parquet. Each field carries its
 * Iceberg field id in the Arrow field metadata key `PARQUET:field_id`, which
 * the Rust Parquet writer inside parquet-wasm turns into the Parquet field id.
 * Only primitive columns are written today (nested types exist in the model).
 */
import * as A from "apache-arrow";
import { IcebergError } from "../errors.ts";
import { decimalParams, fixedLength, type IcebergType, type NestedField, type Schema } from "../spec/types.ts";

export const FIELD_ID_KEY = "PARQUET:field_id";

export function arrowType(t: IcebergType, column: string): A.DataType {
  switch (t) {
    case "boolean":
      return new A.Bool();
    case "int":
      return new A.Int32();
    case "long":
      return new A.Int64();
    case "float":
      return new A.Float32();
    case "double":
      return new A.Float64();
    case "date":
      return new A.DateDay();
    case "time":
      return new A.TimeMicrosecond();
    case "timestamp":
      return new A.TimestampMicrosecond();
    case "timestamptz":
      return new A.TimestampMicrosecond("UTC");
    case "string":
      return new A.Utf8();
    case "uuid":
      return new A.FixedSizeBinary(16);
    case "binary":
      return new A.Binary();
  }
  if (typeof t === "string") {
    const n = fixedLength(t);
    if (n !== undefined) return new A.FixedSizeBinary(n);
    const d = decimalParams(t);
    if (d) return new A.Decimal(d.scale, d.precision, 128);
  }
  throw new IcebergError("invalid-data", `column ${column}: writing ${JSON.stringify(t)} is not supported yet`);
}

export function arrowField(f: NestedField): A.Field {
  return new A.Field(f.name, arrowType(f.type, f.name), !f.required, new Map([[FIELD_ID_KEY, String(f.id)]]));
}

export function arrowSchema(schema: Schema): A.Schema {
  return new A.Schema(schema.fields.map(arrowField));
}

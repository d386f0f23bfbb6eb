/**
 * Builds Arrow record batches of the flows Iceberg schema from the text values
 * the export query returns (one array per row, FLOW_COLUMNS order). Arrays are
 * sized for one batch and released with it, so memory follows the batch size,
 * not the chunk size.
 */
import { arrowSchema, encodeAddress, flowTableSchema } from "@netflow/iceberg";
import { FLOW_COLUMNS, type FlowColumn } from "@netflow/schema";
import * as A from "apache-arrow";
import { ArchiverError } from "../errors.ts";

const SCHEMA = arrowSchema(flowTableSchema());

interface ColumnBuffer {
  readonly column: FlowColumn;
  readonly valid: Uint8Array;
  nulls: number;
  fill(i: number, text: string): void;
  data(n: number): A.Data;
}

function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

function common(
  buf: { valid: Uint8Array; nulls: number },
  n: number,
): { length: number; nullCount: number; nullBitmap?: Uint8Array } {
  return buf.nulls === 0
    ? { length: n, nullCount: 0 }
    : { length: n, nullCount: buf.nulls, nullBitmap: packBits(buf.valid, n) };
}

/** How addresses arrive: Postgres `host()` text, or the 32-hex-digit cold encoding (DuckDB `hex()` of Parquet). */
export type AddressFormat = "text" | "hex";

function bufferFor(column: FlowColumn, capacity: number, field: A.Field, addresses: AddressFormat): ColumnBuffer {
  const valid = new Uint8Array(capacity);
  switch (column.icebergType) {
    case "timestamptz":
    case "long": {
      const values = new BigInt64Array(capacity);
      return {
        column,
        valid,
        nulls: 0,
        fill: (i, t) => {
          values[i] = BigInt(t);
        },
        data(n) {
          return A.makeData({
            ...common(this, n),
            type: field.type as A.Int64,
            data: values.subarray(0, n) as unknown as Int32Array,
          });
        },
      };
    }
    case "int": {
      const values = new Int32Array(capacity);
      return {
        column,
        valid,
        nulls: 0,
        fill: (i, t) => {
          values[i] = Number(t);
        },
        data(n) {
          return A.makeData({ ...common(this, n), type: field.type as A.Int32, data: values.subarray(0, n) });
        },
      };
    }
    case "boolean": {
      const values = new Uint8Array(capacity);
      return {
        column,
        valid,
        nulls: 0,
        fill: (i, t) => {
          values[i] = t === "t" ? 1 : 0;
        },
        data(n) {
          return A.makeData({ ...common(this, n), type: field.type as A.Bool, data: packBits(values, n) });
        },
      };
    }
    case "binary": {
      // Every address is 16 bytes (iceberg encodeAddress); nulls take none.
      const bytes = new Uint8Array(capacity * 16);
      const offsets = new Int32Array(capacity + 1);
      let end = 0;
      return {
        column,
        valid,
        nulls: 0,
        fill: (i, t) => {
          if (addresses === "hex") {
            if (t.length !== 32)
              throw new ArchiverError("schema-mismatch", `column ${column.name}: address is not 16 bytes`, {
                retryable: false,
              });
            bytes.set(Buffer.from(t, "hex"), end);
          } else bytes.set(encodeAddress(t), end);
          end += 16;
          offsets[i + 1] = end;
        },
        data(n) {
          // Rows after the last non-null value keep offset 0 until filled: carry the end forward.
          for (let i = 1; i <= n; i++) if (offsets[i]! < offsets[i - 1]!) offsets[i] = offsets[i - 1]!;
          return A.makeData({
            ...common(this, n),
            type: field.type as A.Binary,
            valueOffsets: offsets.subarray(0, n + 1),
            data: bytes.subarray(0, offsets[n]!),
          });
        },
      };
    }
  }
}

/** Converts text rows (FLOW_COLUMNS order) into one Arrow record batch. */
export function rowsToRecordBatch(
  rows: readonly (readonly (string | null)[])[],
  addresses: AddressFormat = "text",
): A.RecordBatch {
  const n = rows.length;
  const buffers = FLOW_COLUMNS.map((c, i) => bufferFor(c, n, SCHEMA.fields[i]!, addresses));
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i]!;
      const v = row[i];
      if (v === null || v === undefined) {
        if (!b.column.nullable)
          throw new ArchiverError("schema-mismatch", `column ${b.column.name} is NULL but declared NOT NULL`, {
            retryable: false,
          });
        b.nulls++;
        // Variable-width: a null has an empty value, its offset equals the previous one (fixed up in data()).
        continue;
      }
      b.valid[r] = 1;
      b.fill(r, v);
    }
  }
  const children = buffers.map((b) => b.data(n));
  return new A.RecordBatch(
    SCHEMA,
    A.makeData({ type: new A.Struct(SCHEMA.fields), length: n, nullCount: 0, children }),
  );
}

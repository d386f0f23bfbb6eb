/**
 * Builds an Arrow record batch of the flows Iceberg schema straight from the
 * canonical texts the export streams (row-hash.ts: columns in FLOW_COLUMNS
 * order joined by `|`, `\N` for NULL, decimal integers and epoch
 * microseconds, 32 hex digits per address, t/f). It scans each text once with
 * charCodeAt, without splitting it or parsing through BigInt, Number or Buffer
 * per value: the generic text path (arrow-batch.ts) cost ~10 µs a row, most of
 * the reader thread's time. Any text that is not canonical is refused.
 *
 * The Arrow schema (the Iceberg flows schema with field ids) is passed in, so
 * the reader thread need not load the iceberg library (~1 s of start-up).
 */
import { FLOW_COLUMNS, type FlowColumn } from "@netflow/schema";
import * as A from "apache-arrow";
import { ArchiverError } from "../errors.ts";
import { NULL_MARKER, SEPARATOR } from "../hash/row-hash.ts";

const NUL0 = NULL_MARKER.charCodeAt(0);
const NUL1 = NULL_MARKER.charCodeAt(1);
const MINUS = 45;
const ZERO = 48;
/** Index of the low 32-bit word of an int64 in an Int32Array view. */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const TWO32 = 4294967296;

function bad(column: FlowColumn, text: string, why: string): ArchiverError {
  return new ArchiverError("schema-mismatch", `column ${column.name}: ${why} in ${JSON.stringify(text)}`, {
    retryable: false,
  });
}

/** A decimal integer in text[from, to) as a double; NaN when it is not exact (beyond 2^53) or not decimal. */
function decimal(text: string, from: number, to: number): number {
  let i = from;
  const negative = text.charCodeAt(i) === MINUS;
  if (negative) i++;
  if (i === to) return Number.NaN;
  let n = 0;
  for (; i < to; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return Number.NaN;
  return negative ? -n : n;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

interface Builder {
  readonly column: FlowColumn;
  readonly valid: Uint8Array;
  nulls: number;
  /** Parses text[from, to) into row r. */
  fill(r: number, text: string, from: number, to: number): void;
  data(n: number): A.Data;
}

function validity(b: Builder, n: number): { length: number; nullCount: number; nullBitmap?: Uint8Array } {
  if (b.nulls === 0) return { length: n, nullCount: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (b.valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
  return { length: n, nullCount: b.nulls, nullBitmap: bitmap };
}

function builder(column: FlowColumn, n: number, field: A.Field): Builder {
  const valid = new Uint8Array(n);
  switch (column.icebergType) {
    case "timestamptz":
    case "long": {
      const values = new BigInt64Array(n);
      const words = new Int32Array(values.buffer);
      return {
        column,
        valid,
        nulls: 0,
        fill(r, text, from, to) {
          const v = decimal(text, from, to);
          if (Number.isNaN(v)) {
            // Beyond 2^53 (or not a number, which BigInt refuses).
            try {
              values[r] = BigInt(text.slice(from, to));
            } catch {
              throw bad(column, text, "not a decimal integer");
            }
            return;
          }
          const hi = Math.floor(v / TWO32);
          words[2 * r + LO] = v - hi * TWO32;
          words[2 * r + 1 - LO] = hi;
        },
        data(len) {
          return A.makeData({
            ...validity(this, len),
            type: field.type as A.Int64,
            data: values.subarray(0, len) as unknown as Int32Array,
          });
        },
      };
    }
    case "int": {
      const values = new Int32Array(n);
      return {
        column,
        valid,
        nulls: 0,
        fill(r, text, from, to) {
          const v = decimal(text, from, to);
          if (!(v >= -2147483648 && v <= 2147483647)) throw bad(column, text, "not a 32-bit integer");
          values[r] = v;
        },
        data(len) {
          return A.makeData({ ...validity(this, len), type: field.type as A.Int32, data: values.subarray(0, len) });
        },
      };
    }
    case "boolean": {
      const bits = new Uint8Array((n + 7) >> 3);
      return {
        column,
        valid,
        nulls: 0,
        fill(r, text, from, to) {
          const c = text.charCodeAt(from);
          if (to !== from + 1 || (c !== 116 && c !== 102)) throw bad(column, text, "not t or f");
          if (c === 116) bits[r >> 3]! |= 1 << (r & 7);
        },
        data(len) {
          return A.makeData({ ...validity(this, len), type: field.type as A.Bool, data: bits });
        },
      };
    }
    case "binary": {
      // Every address is 16 bytes (iceberg encodeAddress); a NULL takes none.
      const bytes = new Uint8Array(n * 16);
      const offsets = new Int32Array(n + 1);
      let end = 0;
      let filled = 0;
      const carry = (upTo: number): void => {
        for (; filled < upTo; filled++) offsets[filled + 1] = end;
      };
      return {
        column,
        valid,
        nulls: 0,
        fill(r, text, from, to) {
          if (to - from !== 32) throw bad(column, text, "address is not 32 hex digits");
          carry(r);
          for (let i = from; i < to; i += 2) {
            const h = hexDigit(text.charCodeAt(i));
            const l = hexDigit(text.charCodeAt(i + 1));
            if (h < 0 || l < 0) throw bad(column, text, "address is not lowercase hex");
            bytes[end++] = (h << 4) | l;
          }
          offsets[r + 1] = end;
          filled = r + 1;
        },
        data(len) {
          carry(len);
          return A.makeData({
            ...validity(this, len),
            type: field.type as A.Binary,
            valueOffsets: offsets.subarray(0, len + 1),
            data: bytes.subarray(0, end),
          });
        },
      };
    }
  }
}

/** One record batch of `schema` (FLOW_COLUMNS in order) from canonical texts (one row each). */
export function canonicalTextsToRecordBatch(texts: readonly string[], schema: A.Schema): A.RecordBatch {
  if (schema.fields.length !== FLOW_COLUMNS.length || schema.fields.some((f, i) => f.name !== FLOW_COLUMNS[i]!.name))
    throw new ArchiverError("schema-mismatch", "the Arrow schema's columns are not the flow columns in order", {
      retryable: false,
    });
  const n = texts.length;
  const builders = FLOW_COLUMNS.map((c, i) => builder(c, n, schema.fields[i]!));
  const last = builders.length - 1;
  for (let r = 0; r < n; r++) {
    const text = texts[r]!;
    let from = 0;
    for (let i = 0; i <= last; i++) {
      const b = builders[i]!;
      const to = i === last ? text.length : text.indexOf(SEPARATOR, from);
      if (to < 0) throw bad(b.column, text, `only ${i} of ${builders.length} columns`);
      if (i === last && text.indexOf(SEPARATOR, from) >= 0) throw bad(b.column, text, "more columns than the schema");
      if (to - from === 2 && text.charCodeAt(from) === NUL0 && text.charCodeAt(from + 1) === NUL1) {
        if (!b.column.nullable) throw bad(b.column, text, "NULL in a NOT NULL column");
        b.nulls++;
      } else {
        b.valid[r] = 1;
        b.fill(r, text, from, to);
      }
      from = to + 1;
    }
  }
  const children = builders.map((b) => b.data(n));
  return new A.RecordBatch(
    schema,
    A.makeData({ type: new A.Struct(schema.fields), length: n, nullCount: 0, children }),
  );
}

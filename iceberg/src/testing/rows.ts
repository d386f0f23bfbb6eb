/**
 * Test rows ↔ Arrow batches and the normalized JSON form the Python readers print
 * (see test-py/normalize.py), so our input and an independent reader's output compare
 * value by value.
 */
import * as A from "apache-arrow";
import { type JsonValue, parseJson, stringifyJson } from "../json/exact-json.ts";
import { decimalParams, type PrimitiveType, type PrimitiveValue, type Schema } from "../spec/types.ts";
import { arrowSchema } from "../write/arrow-schema.ts";
import { type Column, toArrow } from "../write/columns.ts";

export type Row = Record<string, PrimitiveValue | null>;

function columnOf(type: PrimitiveType, values: (PrimitiveValue | null)[]): Column {
  const n = values.length;
  const valid = values.some((v) => v === null) ? Uint8Array.from(values, (v) => (v === null ? 0 : 1)) : null;
  const base = { type, length: n, stride: 1, valid, offsets: null, bytes: null };
  switch (type) {
    case "int":
    case "date":
      return { ...base, values: Int32Array.from(values, (v) => Number(v ?? 0)) };
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      return { ...base, values: BigInt64Array.from(values, (v) => BigInt((v as bigint | number | null) ?? 0)) };
    case "float":
      return { ...base, values: Float32Array.from(values, (v) => Number(v ?? 0)) };
    case "double":
      return { ...base, values: Float64Array.from(values, (v) => Number(v ?? 0)) };
    case "boolean":
      return { ...base, values: Uint8Array.from(values, (v) => (v ? 1 : 0)) };
    case "string":
    case "binary": {
      const enc = values.map((v) =>
        v === null ? new Uint8Array(0) : typeof v === "string" ? new TextEncoder().encode(v) : (v as Uint8Array),
      );
      const offsets = new Int32Array(n + 1);
      enc.forEach((b, i) => {
        offsets[i + 1] = offsets[i]! + b.length;
      });
      const bytes = new Uint8Array(offsets[n]!);
      enc.forEach((b, i) => {
        bytes.set(b, offsets[i]!);
      });
      return { ...base, values: null, offsets, bytes };
    }
  }
  if (decimalParams(type)) {
    const out = new Uint32Array(n * 4);
    values.forEach((v, i) => {
      let x = BigInt.asUintN(128, BigInt((v as bigint | null) ?? 0n));
      for (let j = 0; j < 4; j++) {
        out[i * 4 + j] = Number(x & 0xffffffffn);
        x >>= 32n;
      }
    });
    return { ...base, values: out, stride: 4 };
  }
  const w = type === "uuid" ? 16 : Number(/\[(\d+)\]/.exec(type)![1]);
  const out = new Uint8Array(n * w);
  values.forEach((v, i) => {
    if (v) out.set(v as Uint8Array, i * w);
  });
  return { ...base, values: out, stride: w };
}

export function rowsToBatch(schema: Schema, rows: readonly Row[]): A.RecordBatch {
  const s = arrowSchema(schema);
  const children = schema.fields.map((f) =>
    toArrow(
      columnOf(
        f.type as PrimitiveType,
        rows.map((r) => r[f.name] ?? null),
      ),
      f.name,
    ),
  );
  return new A.RecordBatch(
    s,
    A.makeData({ type: new A.Struct(s.fields), length: rows.length, nullCount: 0, children }),
  );
}

function normalizeValue(type: PrimitiveType, v: PrimitiveValue | null): JsonValue {
  if (v === null) return null;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  const d = decimalParams(type);
  if (d) {
    const x = v as bigint;
    const neg = x < 0n;
    const digits = (neg ? -x : x).toString().padStart(d.scale + 1, "0");
    const s = d.scale === 0 ? digits : `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
    return neg ? `-${s}` : s;
  }
  if (type === "float") return String(Math.fround(v as number));
  if (type === "double") return String(v);
  return v as JsonValue;
}

/** Rows in the reader-output form, sorted canonically (readers return files in any order). */
export function normalizeRows(schema: Schema, rows: readonly Row[]): JsonValue[] {
  const out = rows.map((r) => schema.fields.map((f) => normalizeValue(f.type as PrimitiveType, r[f.name] ?? null)));
  return sortRows(parseJson(stringifyJson(out)) as JsonValue[]);
}

export function sortRows(rows: JsonValue[]): JsonValue[] {
  const keyed = rows.map((r) => [stringifyJson(r), r] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return keyed.map(([, r]) => r);
}

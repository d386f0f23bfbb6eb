/**
 * A minimal columnar buffer over Arrow's raw buffers, with the three kernels
 * the writer needs and Arrow JS lacks: take (reorder/filter rows), concat and
 * per-column metrics. Fixed-width values live in a typed array (booleans one
 * byte per row), variable-width values as offsets + bytes; validity is one
 * byte per row or null when every row is valid.
 */
import * as A from "apache-arrow";
import { IcebergError } from "../errors.ts";
import type { PrimitiveType, PrimitiveValue } from "../spec/types.ts";
import { arrowType } from "./arrow-schema.ts";

type Fixed = Int32Array | BigInt64Array | Float32Array | Float64Array | Uint8Array | Uint32Array;

export interface Column {
  readonly type: PrimitiveType;
  readonly length: number;
  /** Fixed-width values; `stride` elements per row. */
  readonly values: Fixed | null;
  readonly stride: number;
  /** Variable-width: offsets (length + 1) into `bytes`. */
  readonly offsets: Int32Array | null;
  readonly bytes: Uint8Array | null;
  /** 1 = valid, 0 = null; null when there are no nulls. */
  readonly valid: Uint8Array | null;
}

function kindOf(type: PrimitiveType): "i32" | "i64" | "f32" | "f64" | "bool" | "var" | "fixed" | "dec" {
  switch (type) {
    case "int":
    case "date":
      return "i32";
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      return "i64";
    case "float":
      return "f32";
    case "double":
      return "f64";
    case "boolean":
      return "bool";
    case "string":
    case "binary":
      return "var";
  }
  return type.startsWith("decimal") ? "dec" : "fixed";
}

function fixedWidth(type: PrimitiveType): number {
  if (type === "uuid") return 16;
  return Number(/^fixed\[(\d+)\]$/.exec(type)?.[1] ?? 0);
}

function unpackBits(bitmap: Uint8Array, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const b = offset + i;
    out[i] = (bitmap[b >> 3]! >> (b & 7)) & 1;
  }
  return out;
}

function packBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array((bytes.length + 7) >> 3);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** Reads one Arrow chunk (Data) of a column into a Column, checking the physical type fits. */
export function fromArrow(data: A.Data, type: PrimitiveType, column: string): Column {
  const n = data.length;
  const off = data.offset;
  const valid = data.nullCount > 0 && data.nullBitmap ? unpackBits(data.nullBitmap, off, n) : null;
  const t = data.type as A.DataType;
  const bad = (): never => {
    throw new IcebergError("invalid-data", `column ${column}: arrow type ${String(t)} does not fit iceberg ${type}`);
  };
  const k = kindOf(type);
  if ((t.typeId === A.Type.Timestamp || t.typeId === A.Type.Time) && (t as A.Timestamp).unit !== A.TimeUnit.MICROSECOND)
    bad();
  // The fixed-width kinds differ only in the typed array Arrow must hand us.
  const typedColumn = (ctor: typeof Int32Array | typeof BigInt64Array | typeof Float32Array | typeof Float64Array) => {
    if (!(data.values instanceof ctor)) bad();
    const values = (data.values as Int32Array | BigInt64Array | Float32Array | Float64Array).subarray(off, off + n);
    return { type, length: n, values, stride: 1, offsets: null, bytes: null, valid };
  };
  switch (k) {
    case "i32":
      return typedColumn(Int32Array);
    case "i64":
      return typedColumn(BigInt64Array);
    case "f32":
      return typedColumn(Float32Array);
    case "f64":
      return typedColumn(Float64Array);
    case "bool":
      if (t.typeId !== A.Type.Bool) bad();
      return {
        type,
        length: n,
        values: unpackBits(data.values as Uint8Array, off, n),
        stride: 1,
        offsets: null,
        bytes: null,
        valid,
      };
    case "dec":
      if (t.typeId !== A.Type.Decimal || (t as A.Decimal).bitWidth !== 128) bad();
      return {
        type,
        length: n,
        values: (data.values as Uint32Array).subarray(off * 4, (off + n) * 4),
        stride: 4,
        offsets: null,
        bytes: null,
        valid,
      };
    case "fixed": {
      const w = fixedWidth(type);
      if (t.typeId !== A.Type.FixedSizeBinary || (t as A.FixedSizeBinary).byteWidth !== w) bad();
      return {
        type,
        length: n,
        values: (data.values as Uint8Array).subarray(off * w, (off + n) * w),
        stride: w,
        offsets: null,
        bytes: null,
        valid,
      };
    }
    case "var": {
      if (t.typeId !== A.Type.Utf8 && t.typeId !== A.Type.Binary) bad();
      const o = data.valueOffsets as Int32Array;
      const base = o[off]!;
      const offsets = new Int32Array(n + 1);
      for (let i = 0; i <= n; i++) offsets[i] = o[off + i]! - base;
      return {
        type,
        length: n,
        values: null,
        stride: 1,
        offsets,
        bytes: (data.values as Uint8Array).subarray(base, o[off + n]!),
        valid,
      };
    }
  }
}

export function toArrow(c: Column, column: string): A.Data {
  const type = arrowType(c.type, column);
  const nullBitmap = c.valid ? packBits(c.valid) : undefined;
  let nullCount = 0;
  if (c.valid) for (let i = 0; i < c.length; i++) nullCount += 1 - c.valid[i]!;
  const common = { length: c.length, nullCount, ...(nullBitmap ? { nullBitmap } : {}) };
  if (c.offsets) return A.makeData({ ...common, type: type as A.Binary, valueOffsets: c.offsets, data: c.bytes! });
  if (c.type === "boolean")
    return A.makeData({ ...common, type: type as A.Bool, data: packBits(c.values as Uint8Array) });
  if (type instanceof A.FixedSizeBinary) return A.makeData({ ...common, type, data: c.values as Uint8Array });
  if (type instanceof A.Decimal) return A.makeData({ ...common, type, data: c.values as Uint32Array });
  // Int32/Int64/Float/Date/Time/Timestamp: the typed array already has Arrow's physical layout.
  return A.makeData({ ...common, type: type as A.Int32, data: c.values as unknown as Int32Array });
}

/** A column of `n` nulls. */
export function nullColumn(type: PrimitiveType, n: number): Column {
  const valid = new Uint8Array(n);
  const base = { type, length: n, stride: 1, valid };
  switch (kindOf(type)) {
    case "var":
      return { ...base, values: null, offsets: new Int32Array(n + 1), bytes: new Uint8Array(0) };
    case "i32":
      return { ...base, values: new Int32Array(n), offsets: null, bytes: null };
    case "i64":
      return { ...base, values: new BigInt64Array(n), offsets: null, bytes: null };
    case "f32":
      return { ...base, values: new Float32Array(n), offsets: null, bytes: null };
    case "f64":
      return { ...base, values: new Float64Array(n), offsets: null, bytes: null };
    case "bool":
      return { ...base, values: new Uint8Array(n), offsets: null, bytes: null };
    case "dec":
      return { ...base, values: new Uint32Array(n * 4), stride: 4, offsets: null, bytes: null };
    case "fixed": {
      const w = fixedWidth(type);
      return { ...base, values: new Uint8Array(n * w), stride: w, offsets: null, bytes: null };
    }
  }
}

/** Rows at `idx`, in that order. */
export function take(c: Column, idx: Int32Array | number[]): Column {
  const n = idx.length;
  let valid: Uint8Array | null = null;
  if (c.valid) {
    valid = new Uint8Array(n);
    for (let i = 0; i < n; i++) valid[i] = c.valid[idx[i]!]!;
  }
  if (c.offsets && c.bytes) {
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      total += c.offsets[r + 1]! - c.offsets[r]!;
      offsets[i + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      bytes.set(c.bytes.subarray(c.offsets[r]!, c.offsets[r + 1]!), offsets[i]!);
    }
    return { ...c, length: n, offsets, bytes, valid };
  }
  const src = c.values!;
  const s = c.stride;
  const out = new (src.constructor as new (len: number) => Fixed)(n * s);
  if (s === 1) for (let i = 0; i < n; i++) out[i] = src[idx[i]!]!;
  else
    for (let i = 0; i < n; i++) {
      const r = idx[i]! * s;
      for (let j = 0; j < s; j++) out[i * s + j] = src[r + j]!;
    }
  return { ...c, length: n, values: out, valid };
}

/** Rows [start, end) as views of `c` where possible (offsets are rebased, so copied). */
export function slice(c: Column, start: number, end: number): Column {
  const n = end - start;
  const valid = c.valid ? c.valid.subarray(start, end) : null;
  if (c.offsets && c.bytes) {
    const base = c.offsets[start]!;
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i <= n; i++) offsets[i] = c.offsets[start + i]! - base;
    return { ...c, length: n, offsets, bytes: c.bytes.subarray(base, c.offsets[end]!), valid };
  }
  return { ...c, length: n, values: c.values!.subarray(start * c.stride, end * c.stride), valid };
}

export function concat(cols: Column[]): Column {
  if (cols.length === 1) return cols[0]!;
  const first = cols[0]!;
  const n = cols.reduce((s, c) => s + c.length, 0);
  let valid: Uint8Array | null = null;
  if (cols.some((c) => c.valid)) {
    valid = new Uint8Array(n);
    let o = 0;
    for (const c of cols) {
      if (c.valid) valid.set(c.valid, o);
      else valid.fill(1, o, o + c.length);
      o += c.length;
    }
  }
  if (first.offsets) {
    const total = cols.reduce((s, c) => s + c.bytes!.length, 0);
    const bytes = new Uint8Array(total);
    const offsets = new Int32Array(n + 1);
    let row = 0;
    let bo = 0;
    for (const c of cols) {
      bytes.set(c.bytes!, bo);
      for (let i = 1; i <= c.length; i++) offsets[row + i] = bo + c.offsets![i]!;
      row += c.length;
      bo += c.bytes!.length;
    }
    return { ...first, length: n, offsets, bytes, valid };
  }
  const out = new (first.values!.constructor as new (len: number) => Fixed)(n * first.stride);
  let o = 0;
  for (const c of cols) {
    (out as Uint8Array).set(c.values as Uint8Array, o);
    o += c.values!.length;
  }
  return { ...first, length: n, values: out, valid };
}

/** The value at row `i` in the bound value domain (see PrimitiveValue), or null. */
export function valueAt(c: Column, i: number): PrimitiveValue | null {
  if (c.valid && c.valid[i] === 0) return null;
  if (c.offsets && c.bytes) {
    const b = c.bytes.subarray(c.offsets[i]!, c.offsets[i + 1]!);
    return c.type === "string" ? new TextDecoder().decode(b) : b;
  }
  const v = c.values!;
  switch (kindOf(c.type)) {
    case "bool":
      return v[i] === 1;
    case "dec": {
      // 128-bit little-endian two's complement in four uint32 words.
      const w = v as Uint32Array;
      let x = 0n;
      for (let j = 3; j >= 0; j--) x = (x << 32n) | BigInt(w[i * 4 + j]!);
      return BigInt.asIntN(128, x);
    }
    case "fixed":
      return (v as Uint8Array).subarray(i * c.stride, (i + 1) * c.stride);
    default:
      return v[i] as number | bigint;
  }
}

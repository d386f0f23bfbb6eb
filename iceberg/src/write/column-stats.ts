/**
 * Exact per-column metrics (value/null/NaN counts, min/max) of a Column, one
 * pass per column. Each physical layout has its own small loop over its own
 * typed array: one generic loop over every array type was megamorphic and,
 * with a closure per byte comparison, took about as long as DuckDB needs to
 * encode the whole row group (bench/iceberg-write).
 */
import { compareValues } from "../spec/conversions.ts";
import type { PrimitiveValue } from "../spec/types.ts";
import { type Column, valueAt } from "./columns.ts";

export interface ColumnStats {
  readonly valueCount: number;
  readonly nullCount: number;
  /** NaN count for float/double, else undefined. */
  readonly nanCount: number | undefined;
  readonly min: PrimitiveValue | undefined;
  readonly max: PrimitiveValue | undefined;
}

/** One column's metrics over the row groups of a file so far. */
export interface ColumnAcc {
  valueCount: number;
  nullCount: number;
  nanCount: number;
  min: PrimitiveValue | undefined;
  max: PrimitiveValue | undefined;
}

export function emptyAcc(): ColumnAcc {
  return { valueCount: 0, nullCount: 0, nanCount: 0, min: undefined, max: undefined };
}

/** Adds a column's metrics to the file's. */
export function mergeStats(a: ColumnAcc, c: Column): void {
  const s = columnStats(c);
  a.valueCount += s.valueCount;
  a.nullCount += s.nullCount;
  a.nanCount += s.nanCount ?? 0;
  if (s.min !== undefined && (a.min === undefined || compareValues(s.min, a.min) < 0)) a.min = copy(s.min);
  if (s.max !== undefined && (a.max === undefined || compareValues(s.max, a.max) > 0)) a.max = copy(s.max);
}

/** Bounds must not alias a row group's buffers, which are released after the flush. */
function copy(v: PrimitiveValue): PrimitiveValue {
  return v instanceof Uint8Array ? v.slice() : v;
}

/** Exact value/null/NaN counts and min/max (NaN excluded, per the spec) of a column. */
export function columnStats(c: Column): ColumnStats {
  const n = c.length;
  const valid = c.valid;
  let nulls = 0;
  if (valid) for (let i = 0; i < n; i++) nulls += 1 - valid[i]!;
  const base = { valueCount: n, nullCount: nulls };
  if (nulls === n) return { ...base, nanCount: isFloat(c) ? 0 : undefined, min: undefined, max: undefined };
  if (c.offsets && c.bytes) {
    const [lo, hi] = bytesMinMax(c.bytes, c.offsets, 0, n, valid);
    return { ...base, nanCount: undefined, min: valueAt(c, lo) ?? undefined, max: valueAt(c, hi) ?? undefined };
  }
  const v = c.values!;
  if (c.type.startsWith("decimal")) return { ...base, nanCount: undefined, ...decimalMinMax(c) };
  if (c.stride > 1 || c.type === "uuid" || c.type.startsWith("fixed")) {
    const [lo, hi] = bytesMinMax(v as Uint8Array, null, c.stride, n, valid);
    return { ...base, nanCount: undefined, min: valueAt(c, lo) ?? undefined, max: valueAt(c, hi) ?? undefined };
  }
  if (v instanceof BigInt64Array) {
    const [lo, hi] = i64MinMax(v, n, valid);
    return { ...base, nanCount: undefined, min: v[lo]!, max: v[hi]! };
  }
  if (v instanceof Int32Array) {
    const [lo, hi] = i32MinMax(v, n, valid);
    return { ...base, nanCount: undefined, min: v[lo]!, max: v[hi]! };
  }
  if (v instanceof Float32Array || v instanceof Float64Array) {
    const r = floatMinMax(v, n, valid);
    return { ...base, ...r };
  }
  // Booleans, one byte per row.
  const b = v as Uint8Array;
  let any0 = false;
  let any1 = false;
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    if (b[i]) any1 = true;
    else any0 = true;
  }
  return { ...base, nanCount: undefined, min: !any0, max: any1 };
}

function isFloat(c: Column): boolean {
  return c.type === "float" || c.type === "double";
}

/** Indices of the min and max row (at least one row is valid). */
function i64MinMax(v: BigInt64Array, n: number, valid: Uint8Array | null): [number, number] {
  // Reading v[i] allocates a BigInt per row: compare the 32-bit halves instead.
  const lo = new Uint32Array(v.buffer, v.byteOffset, n * 2);
  const hi = new Int32Array(v.buffer, v.byteOffset, n * 2);
  let minI = -1;
  let maxI = -1;
  let minH = 0;
  let minL = 0;
  let maxH = 0;
  let maxL = 0;
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const h = hi[2 * i + 1]!;
    const l = lo[2 * i]!;
    if (minI < 0) {
      minI = maxI = i;
      minH = maxH = h;
      minL = maxL = l;
      continue;
    }
    if (h < minH || (h === minH && l < minL)) {
      minI = i;
      minH = h;
      minL = l;
    } else if (h > maxH || (h === maxH && l > maxL)) {
      maxI = i;
      maxH = h;
      maxL = l;
    }
  }
  return [minI, maxI];
}

function i32MinMax(v: Int32Array, n: number, valid: Uint8Array | null): [number, number] {
  let minI = -1;
  let maxI = -1;
  let min = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const x = v[i]!;
    if (minI < 0) {
      minI = maxI = i;
      min = max = x;
    } else if (x < min) {
      minI = i;
      min = x;
    } else if (x > max) {
      maxI = i;
      max = x;
    }
  }
  return [minI, maxI];
}

function floatMinMax(
  v: Float32Array | Float64Array,
  n: number,
  valid: Uint8Array | null,
): { nanCount: number; min: number | undefined; max: number | undefined } {
  let nans = 0;
  let min: number | undefined;
  let max: number | undefined;
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const x = v[i]!;
    if (Number.isNaN(x)) {
      nans++;
      continue;
    }
    // -0 and 0 compare equal; the first one seen stays (the spec allows -0 as a bound of 0).
    if (min === undefined || x < min) min = x;
    if (max === undefined || x > max) max = x;
  }
  return { nanCount: nans, min, max };
}

/**
 * Unsigned lexicographic min/max rows of variable-width (`offsets`) or
 * fixed-width (`stride`) byte values; a prefix orders first. Strings order by
 * their UTF-8 bytes, which is the spec's order.
 */
function bytesMinMax(
  bytes: Uint8Array,
  offsets: Int32Array | null,
  stride: number,
  n: number,
  valid: Uint8Array | null,
): [number, number] {
  // Four bytes at a time as big-endian words (what unsigned byte order is).
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cmp = (a: number, ae: number, c: number, ce: number): number => {
    for (; a + 4 <= ae && c + 4 <= ce; a += 4, c += 4) {
      const x = dv.getUint32(a);
      const y = dv.getUint32(c);
      if (x !== y) return x < y ? -1 : 1;
    }
    for (; a < ae && c < ce; a++, c++) {
      const d = bytes[a]! - bytes[c]!;
      if (d !== 0) return d;
    }
    return ae - a - (ce - c);
  };
  let minI = -1;
  let maxI = -1;
  let minS = 0;
  let minE = 0;
  let maxS = 0;
  let maxE = 0;
  for (let i = 0; i < n; i++) {
    if (valid && !valid[i]) continue;
    const s = offsets ? offsets[i]! : i * stride;
    const e = offsets ? offsets[i + 1]! : s + stride;
    if (minI < 0) {
      minI = maxI = i;
      minS = maxS = s;
      minE = maxE = e;
      continue;
    }
    if (cmp(s, e, minS, minE) < 0) {
      minI = i;
      minS = s;
      minE = e;
    } else if (cmp(s, e, maxS, maxE) > 0) {
      maxI = i;
      maxS = s;
      maxE = e;
    }
  }
  return [minI, maxI];
}

function decimalMinMax(c: Column): { min: bigint | undefined; max: bigint | undefined } {
  let min: bigint | undefined;
  let max: bigint | undefined;
  for (let i = 0; i < c.length; i++) {
    const x = valueAt(c, i);
    if (x === null) continue;
    const d = x as bigint;
    if (min === undefined || d < min) min = d;
    if (max === undefined || d > max) max = d;
  }
  return { min, max };
}

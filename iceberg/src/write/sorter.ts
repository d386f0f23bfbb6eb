/**
 * Orders rows by a table sort order. Input that is already in order (the
 * usual case: flows exported ORDER BY ts) is detected in one linear pass and
 * not re-sorted.
 */

import { compareBytes, compareValues } from "../spec/conversions.ts";
import type { SortField } from "../spec/partition.ts";
import { applyTransform } from "../spec/transforms.ts";
import type { PrimitiveValue } from "../spec/types.ts";
import { type Column, valueAt } from "./columns.ts";
import { compareI64, i64Words } from "./i64.ts";

type Cmp = (a: number, b: number) => number;

function fieldComparator(f: SortField, col: Column): Cmp {
  const dir = f.direction === "asc" ? 1 : -1;
  const nullCmp = f.nullOrder === "nulls-first" ? -1 : 1;
  const valid = col.valid;
  let cmp: Cmp;
  const vals = col.values;
  if (f.transform.kind === "identity" && vals instanceof BigInt64Array) {
    const w = i64Words(vals);
    cmp = (a, b) => dir * Math.sign(compareI64(w, a, b));
  } else if (f.transform.kind === "identity" && vals && col.stride === 1 && col.type !== "boolean") {
    cmp = (a, b) => {
      const x = vals[a]!;
      const y = vals[b]!;
      return x < y ? -dir : x > y ? dir : 0;
    };
  } else if (f.transform.kind === "identity" && col.offsets && col.bytes && col.type === "binary") {
    const o = col.offsets;
    const by = col.bytes;
    cmp = (a, b) => dir * compareBytes(by.subarray(o[a]!, o[a + 1]!), by.subarray(o[b]!, o[b + 1]!));
  } else {
    const keys: (PrimitiveValue | null)[] = [];
    for (let i = 0; i < col.length; i++) keys.push(applyTransform(f.transform, col.type, valueAt(col, i)));
    cmp = (a, b) => {
      const x = keys[a]!;
      const y = keys[b]!;
      if (x === null || y === null) return 0;
      return dir * compareValues(x, y);
    };
  }
  if (!valid) return cmp;
  return (a, b) => {
    const va = valid[a]!;
    const vb = valid[b]!;
    if (va && vb) return cmp(a, b);
    if (!va && !vb) return 0;
    return va ? -nullCmp : nullCmp;
  };
}

/** The row permutation that sorts the columns, or undefined when they are already sorted. */
export function sortPermutation(
  fields: readonly SortField[],
  sources: readonly Column[],
  n: number,
): Int32Array | undefined {
  if (fields.length === 0 || n < 2) return undefined;
  if (inOrderI64(fields, sources, n)) return undefined;
  const cmps = fields.map((f, i) => fieldComparator(f, sources[i]!));
  const cmp: Cmp =
    cmps.length === 1
      ? cmps[0]!
      : (a, b) => {
          for (const c of cmps) {
            const r = c(a, b);
            if (r !== 0) return r;
          }
          return 0;
        };
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (cmp(i - 1, i) > 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return undefined;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  // Stable: ties keep input order.
  return idx.sort((a, b) => cmp(a, b) || a - b);
}

/**
 * The usual case checked without comparators: one identity field over a 64-bit column without
 * nulls (flow time), already in order. False when that is not the case or not known here.
 */
function inOrderI64(fields: readonly SortField[], sources: readonly Column[], n: number): boolean {
  const f = fields[0]!;
  const col = sources[0]!;
  if (fields.length !== 1 || f.transform.kind !== "identity" || col.valid || !(col.values instanceof BigInt64Array))
    return false;
  const { hi, lo } = i64Words(col.values);
  const dir = f.direction === "asc" ? 1 : -1;
  for (let i = 1; i < n; i++) {
    const h = (hi[2 * i + 1]! - hi[2 * i - 1]!) * dir;
    if (h < 0 || (h === 0 && (lo[2 * i]! - lo[2 * i - 2]!) * dir < 0)) return false;
  }
  return true;
}

/** True when the last row of `prev` is not after the first row of `next` in the order. */
export function boundaryInOrder(
  fields: readonly SortField[],
  prev: readonly Column[],
  next: readonly Column[],
): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const a = applyTransform(f.transform, prev[i]!.type, valueAt(prev[i]!, prev[i]!.length - 1));
    const b = applyTransform(f.transform, next[i]!.type, valueAt(next[i]!, 0));
    if (a === null || b === null) {
      if (a === b) continue;
      const nullFirst = f.nullOrder === "nulls-first";
      return a === null ? nullFirst : !nullFirst;
    }
    const c = compareValues(a, b) * (f.direction === "asc" ? 1 : -1);
    if (c !== 0) return c < 0;
  }
  return true;
}

/**
 * Computes each row's partition tuple and groups rows by it. Time transforms
 * on microsecond columns take a fast path in double arithmetic (exact for
 * |micros| < 2^53, i.e. ±285 years around 1970, corrected at boundaries;
 * values beyond take the exact transform);
 * everything else goes through the generic `applyTransform`.
 */
import type { BoundPartitionField } from "../spec/partition.ts";
import { applyTransform } from "../spec/transforms.ts";
import type { PrimitiveValue } from "../spec/types.ts";
import { type Column, valueAt } from "./columns.ts";
import { i64ToNumber, i64Words } from "./i64.ts";

const DAY = 86_400_000_000;
const HOUR = 3_600_000_000;

function floorDivExact(x: number, d: number): number {
  let q = Math.floor(x / d);
  if (q * d > x) q--;
  else if ((q + 1) * d <= x) q++;
  return q;
}

/** Per-row transform results for one partition field. */
function fieldValues(f: BoundPartitionField, col: Column): (PrimitiveValue | null)[] {
  const n = col.length;
  const out: (PrimitiveValue | null)[] = new Array(n);
  const vals = col.values;
  const kind = f.transform.kind;
  if ((kind === "day" || kind === "hour") && vals instanceof BigInt64Array && f.sourceType !== "time") {
    const d = kind === "day" ? DAY : HOUR;
    const words = i64Words(vals);
    let lastX = Number.NaN;
    let lastQ = 0;
    for (let i = 0; i < n; i++) {
      if (col.valid && col.valid[i] === 0) {
        out[i] = null;
        continue;
      }
      const x = i64ToNumber(words, i);
      // Beyond 2^53 µs (before 1685 or after 2255) doubles round: the exact transform.
      if (x >= 2 ** 53 || x <= -(2 ** 53)) {
        out[i] = applyTransform(f.transform, f.sourceType, vals[i]!);
        continue;
      }
      // Rows are usually time-sorted: reuse the last bucket while x stays inside it.
      if (!(x >= lastX && x < (lastQ + 1) * d)) {
        lastQ = floorDivExact(x, d);
        lastX = lastQ * d;
      }
      out[i] = lastQ;
    }
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = applyTransform(f.transform, f.sourceType, valueAt(col, i));
  return out;
}

function keyPart(v: PrimitiveValue | null): string {
  if (v === null) return "\u0000";
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString("hex")}`;
  return `${typeof v}${String(v)}`;
}

export interface PartitionGroup {
  readonly key: string;
  readonly values: readonly (PrimitiveValue | null)[];
  /** Row indices of the batch in this partition, ascending. */
  readonly rows: Int32Array;
}

/** Groups the rows of one batch by partition tuple. `sources[i]` is the source column of field i. */
export function groupByPartition(
  fields: readonly BoundPartitionField[],
  sources: readonly Column[],
  n: number,
): PartitionGroup[] {
  if (fields.length === 0) return [{ key: "", values: [], rows: iota(n) }];
  const whole = singleTimeBucket(fields, sources, n);
  if (whole !== undefined) {
    const values = [whole];
    return [{ key: values.map(keyPart).join("|"), values, rows: iota(n) }];
  }
  const perField = fields.map((f, i) => fieldValues(f, sources[i]!));
  const groups = new Map<string, { values: (PrimitiveValue | null)[]; rows: number[] }>();
  let lastKey = "";
  let last: { values: (PrimitiveValue | null)[]; rows: number[] } | undefined;
  const single = perField.length === 1 ? perField[0]! : undefined;
  for (let r = 0; r < n; r++) {
    // One numeric field (day/hour/... of ts), same value as the row before: same group.
    if (single && last && r > 0 && typeof single[r] === "number" && single[r] === single[r - 1]) {
      last.rows.push(r);
      continue;
    }
    let key = "";
    for (let f = 0; f < perField.length; f++) key += `${keyPart(perField[f]![r]!)}|`;
    if (key !== lastKey || !last) {
      last = groups.get(key);
      if (!last) {
        last = { values: perField.map((v) => v[r]!), rows: [] };
        groups.set(key, last);
      }
      lastKey = key;
    }
    last.rows.push(r);
  }
  return [...groups].map(([key, g]) => ({ key, values: g.values, rows: Int32Array.from(g.rows) }));
}

/**
 * The day or hour of a batch whose rows all fall in one (the usual batch of
 * time-ordered flows), found from the column's min and max alone, or
 * undefined when the batch needs the row-by-row grouping.
 */
function singleTimeBucket(
  fields: readonly BoundPartitionField[],
  sources: readonly Column[],
  n: number,
): number | undefined {
  const f = fields[0]!;
  const col = sources[0]!;
  const vals = col.values;
  if (fields.length !== 1 || n === 0 || col.valid !== null || !(vals instanceof BigInt64Array)) return undefined;
  if ((f.transform.kind !== "day" && f.transform.kind !== "hour") || f.sourceType === "time") return undefined;
  const words = i64Words(vals);
  let min = i64ToNumber(words, 0);
  let max = min;
  for (let i = 1; i < n; i++) {
    const x = i64ToNumber(words, i);
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  // Doubles are exact below 2^53 µs (±285 years); beyond, group row by row.
  if (Math.abs(min) >= 2 ** 53 || Math.abs(max) >= 2 ** 53) return undefined;
  const d = f.transform.kind === "day" ? DAY : HOUR;
  const q = floorDivExact(min, d);
  return floorDivExact(max, d) === q ? q : undefined;
}

/** 0, 1, …, n-1 (a plain loop: Int32Array.from with a mapping callback cost more than the grouping). */
function iota(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

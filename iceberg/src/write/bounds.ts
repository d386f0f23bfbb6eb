/**
 * Lower/upper bounds of a data file's column as stored in the manifest, with
 * string and binary values truncated the way Iceberg's default metrics mode
 * `truncate(16)` does (spec, "Manifests" → lower/upper bounds may be truncated;
 * Java `BinaryUtil`/`UnicodeUtil`, PyIceberg `pyiceberg.utils.truncate`).
 *
 * A long URL or user-agent string would otherwise be copied whole into every
 * manifest entry. A truncated bound is still a bound: the lower one is a
 * prefix (≤ every value), the upper one is a prefix whose last character or
 * byte is incremented (> every value with that prefix). When every position is
 * already the maximum (U+10FFFF / 0xFF) no short upper bound exists and it is
 * omitted, which readers treat as "unbounded above".
 *
 * Strings are truncated on Unicode code points, never inside a UTF-8 sequence,
 * and the incremented code point skips the surrogate range U+D800..U+DFFF so
 * the bound stays valid UTF-8. Other types are stored exactly.
 */
import { toBytes } from "../spec/conversions.ts";
import type { PrimitiveType, PrimitiveValue } from "../spec/types.ts";

/** Iceberg's default: `write.metadata.metrics.default = truncate(16)`. */
export const DEFAULT_TRUNCATE_LENGTH = 16;

const MAX_CODE_POINT = 0x10ffff;
const MIN_SURROGATE = 0xd800;
const MAX_SURROGATE = 0xdfff;

/** The first `length` code points of `s`. */
export function truncateStringLower(s: string, length: number): string {
  // Fast path: at most `length` UTF-16 units means at most `length` code points.
  if (s.length <= length) return s;
  return String.fromCodePoint(...codePoints(s, length));
}

/**
 * The smallest string of at most `length` code points that is ≥ every string
 * starting with the same `length` code points as `s`, or undefined when none
 * exists. `s` itself when it is short enough.
 */
export function truncateStringUpper(s: string, length: number): string | undefined {
  if (s.length <= length) return s;
  const cps = codePoints(s, length + 1);
  if (cps.length <= length) return s;
  for (let i = length - 1; i >= 0; i--) {
    const next = nextCodePoint(cps[i]!);
    // Characters after the incremented one are dropped: the result is already greater.
    if (next !== undefined) return String.fromCodePoint(...cps.slice(0, i), next);
  }
  return undefined;
}

/** The first `length` bytes of `b`. */
export function truncateBinaryLower(b: Uint8Array, length: number): Uint8Array {
  return b.length <= length ? b : b.slice(0, length);
}

/** Like truncateStringUpper, on bytes: increment the last byte below 0xFF of the prefix. */
export function truncateBinaryUpper(b: Uint8Array, length: number): Uint8Array | undefined {
  if (b.length <= length) return b;
  for (let i = length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = b.slice(0, i + 1);
      out[i]! += 1;
      return out;
    }
  }
  return undefined;
}

export interface Bounds {
  readonly lower: Uint8Array | undefined;
  readonly upper: Uint8Array | undefined;
}

/**
 * The single-value binary encodings of a column's min and max for the
 * manifest, truncated for string and binary columns (fixed and uuid are kept
 * whole, as Java and PyIceberg do).
 */
export function columnBounds(
  type: PrimitiveType,
  min: PrimitiveValue | undefined,
  max: PrimitiveValue | undefined,
  length: number = DEFAULT_TRUNCATE_LENGTH,
): Bounds {
  if (type === "string") {
    const lo = min === undefined ? undefined : truncateStringLower(min as string, length);
    const hi = max === undefined ? undefined : truncateStringUpper(max as string, length);
    return {
      lower: lo === undefined ? undefined : toBytes(type, lo),
      upper: hi === undefined ? undefined : toBytes(type, hi),
    };
  }
  if (type === "binary") {
    return {
      lower: min === undefined ? undefined : truncateBinaryLower(min as Uint8Array, length),
      upper: max === undefined ? undefined : truncateBinaryUpper(max as Uint8Array, length),
    };
  }
  return {
    lower: min === undefined ? undefined : toBytes(type, min),
    upper: max === undefined ? undefined : toBytes(type, max),
  };
}

/** Up to `limit` code points of `s`. */
function codePoints(s: string, limit: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length && out.length < limit; ) {
    const cp = s.codePointAt(i)!;
    out.push(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return out;
}

/** The next Unicode scalar value, or undefined past U+10FFFF. */
function nextCodePoint(cp: number): number | undefined {
  if (cp === MIN_SURROGATE - 1) return MAX_SURROGATE + 1;
  if (cp >= MAX_CODE_POINT) return undefined;
  return cp + 1;
}

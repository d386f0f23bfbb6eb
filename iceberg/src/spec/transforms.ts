/**
 * Partition transforms (spec "Partition Transforms"). Time transforms floor
 * toward negative infinity, so values before 1970 land in negative ordinals
 * (1969-12-31T23:59:59 → day -1, hour -1, month -1, year -1).
 */
import { IcebergError } from "../errors.ts";
import { bigIntToTwosComplement, uuidToBytes } from "./conversions.ts";
import { murmur3_32 } from "./murmur3.ts";
import { decimalParams, type PrimitiveType, type PrimitiveValue } from "./types.ts";

export type Transform =
  | { readonly kind: "identity" }
  | { readonly kind: "year" }
  | { readonly kind: "month" }
  | { readonly kind: "day" }
  | { readonly kind: "hour" }
  | { readonly kind: "void" }
  | { readonly kind: "bucket"; readonly n: number }
  | { readonly kind: "truncate"; readonly width: number };

export function parseTransform(s: string): Transform {
  switch (s) {
    case "identity":
    case "year":
    case "month":
    case "day":
    case "hour":
    case "void":
      return { kind: s };
  }
  const m = /^(bucket|truncate)\[(\d+)\]$/.exec(s);
  if (m) {
    const n = Number(m[2]);
    if (n < 1) throw new IcebergError("invalid-spec", `invalid transform ${s}`);
    return m[1] === "bucket" ? { kind: "bucket", n } : { kind: "truncate", width: n };
  }
  throw new IcebergError("invalid-spec", `unknown transform ${JSON.stringify(s)}`);
}

export function transformToString(t: Transform): string {
  if (t.kind === "bucket") return `bucket[${t.n}]`;
  if (t.kind === "truncate") return `truncate[${t.width}]`;
  return t.kind;
}

const TIME_TYPES = new Set(["timestamp", "timestamptz"]);

/** The type of the partition value a transform produces from a source type. */
export function resultType(t: Transform, source: PrimitiveType): PrimitiveType {
  switch (t.kind) {
    case "identity":
    case "void":
      return source;
    case "bucket":
      if (source === "boolean" || source === "float" || source === "double")
        throw new IcebergError("invalid-spec", `bucket cannot apply to ${source}`);
      return "int";
    case "truncate":
      if (source !== "int" && source !== "long" && source !== "string" && source !== "binary" && !decimalParams(source))
        throw new IcebergError("invalid-spec", `truncate cannot apply to ${source}`);
      return source;
    case "year":
    case "month":
      if (source !== "date" && !TIME_TYPES.has(source))
        throw new IcebergError("invalid-spec", `${t.kind} cannot apply to ${source}`);
      return "int";
    case "day":
      if (source !== "date" && !TIME_TYPES.has(source))
        throw new IcebergError("invalid-spec", `day cannot apply to ${source}`);
      // Java and PyIceberg type day partitions as date (an int of days since epoch on disk).
      return "date";
    case "hour":
      if (!TIME_TYPES.has(source)) throw new IcebergError("invalid-spec", `hour cannot apply to ${source}`);
      return "int";
  }
}

const MICROS_PER_HOUR = 3_600_000_000n;
const MICROS_PER_DAY = 86_400_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Days since epoch → [year, month(1-12), day] in the proleptic Gregorian calendar. */
function civilFromDays(days: number): [number, number] {
  const d = new Date(days * 86_400_000);
  return [d.getUTCFullYear(), d.getUTCMonth()];
}

function monthsFromDays(days: number): number {
  const [y, m] = civilFromDays(days);
  return (y - 1970) * 12 + m;
}

function toDays(source: PrimitiveType, v: PrimitiveValue): number {
  if (source === "date") return v as number;
  return Number(floorDiv(v as bigint, MICROS_PER_DAY));
}

/** Applies a transform to one non-null source value. Null maps to null for every transform. */
export function applyTransform(t: Transform, source: PrimitiveType, v: PrimitiveValue | null): PrimitiveValue | null {
  if (v === null || t.kind === "void") return null;
  switch (t.kind) {
    case "identity":
      return v;
    case "year":
      return civilFromDays(toDays(source, v))[0] - 1970;
    case "month":
      return monthsFromDays(toDays(source, v));
    case "day":
      return toDays(source, v);
    case "hour":
      return Number(floorDiv(v as bigint, MICROS_PER_HOUR));
    case "bucket":
      return (bucketHash(source, v) & 0x7fffffff) % t.n;
    case "truncate":
      return truncate(source, v, t.width);
  }
}

/** The 32-bit hash the bucket transform reduces (spec appendix B). */
export function bucketHash(source: PrimitiveType, v: PrimitiveValue): number {
  switch (source) {
    case "int":
    case "date":
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(v as number | bigint), true);
      return murmur3_32(b);
    }
    case "string":
      return murmur3_32(new TextEncoder().encode(v as string));
    case "uuid":
      return murmur3_32(typeof v === "string" ? uuidToBytes(v) : (v as Uint8Array));
    case "binary":
      return murmur3_32(v as Uint8Array);
  }
  if (source.startsWith("fixed[")) return murmur3_32(v as Uint8Array);
  if (decimalParams(source)) return murmur3_32(bigIntToTwosComplement(v as bigint));
  throw new IcebergError("invalid-spec", `bucket cannot apply to ${source}`);
}

function truncate(source: PrimitiveType, v: PrimitiveValue, w: number): PrimitiveValue {
  if (source === "int") {
    const x = v as number;
    return x - (((x % w) + w) % w);
  }
  if (source === "long" || decimalParams(source)) {
    const x = v as bigint;
    const W = BigInt(w);
    return x - (((x % W) + W) % W);
  }
  if (source === "string") {
    // Truncate by code points, never splitting a surrogate pair.
    const cps = Array.from(v as string);
    return cps.length <= w ? (v as string) : cps.slice(0, w).join("");
  }
  if (source === "binary") {
    const b = v as Uint8Array;
    return b.length <= w ? b : b.slice(0, w);
  }
  throw new IcebergError("invalid-spec", `truncate cannot apply to ${source}`);
}

/** Whether a transform preserves order, so source bounds map to partition bounds (used for pruning). */
export function preservesOrder(t: Transform): boolean {
  return t.kind !== "bucket" && t.kind !== "void";
}

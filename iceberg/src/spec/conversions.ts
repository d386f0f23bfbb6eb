/**
 * Single-value binary serialization (spec appendix D), used for lower/upper
 * bounds in manifests. Little-endian fixed widths for numbers, big-endian
 * two's complement (minimum bytes) for decimals, UTF-8 for strings, raw bytes
 * for uuid/fixed/binary.
 */
import { IcebergError } from "../errors.ts";
import { decimalParams, type PrimitiveType, type PrimitiveValue } from "./types.ts";

const utf8 = new TextEncoder();
const utf8d = new TextDecoder("utf-8", { fatal: true });

export function toBytes(type: PrimitiveType, v: PrimitiveValue): Uint8Array {
  switch (type) {
    case "boolean":
      return Uint8Array.of(v ? 1 : 0);
    case "int":
    case "date": {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, Number(v), true);
      return b;
    }
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(v as bigint | number), true);
      return b;
    }
    case "float": {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, Number(v), true);
      return b;
    }
    case "double": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, Number(v), true);
      return b;
    }
    case "string":
      return utf8.encode(v as string);
    case "uuid":
    case "binary":
      return asBytes(v, type);
  }
  if (type.startsWith("fixed[")) return asBytes(v, type);
  if (decimalParams(type)) return bigIntToTwosComplement(BigInt(v as bigint | number));
  throw new IcebergError("invalid-schema", `no binary serialization for ${type}`);
}

export function fromBytes(type: PrimitiveType, b: Uint8Array): PrimitiveValue {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (type) {
    case "boolean":
      return b[0] !== 0;
    case "int":
    case "date":
      return dv.getInt32(0, true);
    case "long":
    case "time":
    case "timestamp":
    case "timestamptz":
      // Iceberg allows a 4-byte int bound for a long promoted from int.
      return b.length === 4 ? BigInt(dv.getInt32(0, true)) : dv.getBigInt64(0, true);
    case "float":
      return dv.getFloat32(0, true);
    case "double":
      return b.length === 4 ? dv.getFloat32(0, true) : dv.getFloat64(0, true);
    case "string":
      return utf8d.decode(b);
    case "uuid":
    case "binary":
      return b.slice();
  }
  if (type.startsWith("fixed[")) return b.slice();
  if (decimalParams(type)) return twosComplementToBigInt(b);
  throw new IcebergError("invalid-schema", `no binary serialization for ${type}`);
}

function asBytes(v: PrimitiveValue, type: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  throw new IcebergError("invalid-data", `${type} value must be a Uint8Array`);
}

/** Minimum-length big-endian two's complement, as Java's BigInteger.toByteArray(). */
export function bigIntToTwosComplement(v: bigint): Uint8Array {
  const bytes: number[] = [];
  let x = v;
  for (;;) {
    const byte = Number(x & 0xffn);
    bytes.unshift(byte);
    x >>= 8n;
    // Stop once the remaining value is pure sign extension of the byte just written.
    if ((x === 0n && (byte & 0x80) === 0) || (x === -1n && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(bytes);
}

export function twosComplementToBigInt(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  if ((b[0]! & 0x80) !== 0) v -= 1n << BigInt(b.length * 8);
  return v;
}

export function uuidToBytes(s: string): Uint8Array {
  const hex = s.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new IcebergError("invalid-data", `invalid uuid ${s}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Unsigned lexicographic byte comparison (how Iceberg orders binary/fixed/uuid). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Compares two values of one primitive type in Iceberg's order. */
export function compareValues(a: PrimitiveValue, b: PrimitiveValue): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  if (typeof a === "bigint" || typeof b === "bigint") {
    const x = BigInt(a as bigint | number);
    const y = BigInt(b as bigint | number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Strings compare by UTF-8 bytes (code points), not UTF-16 units. */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  return compareBytes(utf8.encode(a), utf8.encode(b));
}

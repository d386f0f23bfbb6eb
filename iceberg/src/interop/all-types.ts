/**
 * One table of every primitive type, shared by the interop tests: rows with
 * NULLs, pre-1970 times with sub-millisecond digits, multi-byte and "/"
 * strings (a partition path escape), so every transform and reader sees them.
 */
import { uuidToBytes } from "../spec/conversions.ts";
import type { Schema } from "../spec/types.ts";
import type { Row } from "../testing/rows.ts";

export const allTypes: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: "b", required: false, type: "boolean" },
    { id: 2, name: "i", required: false, type: "int" },
    { id: 3, name: "l", required: true, type: "long" },
    { id: 4, name: "f", required: false, type: "float" },
    { id: 5, name: "d", required: false, type: "double" },
    { id: 6, name: "dec", required: false, type: "decimal(9,2)" },
    { id: 7, name: "dt", required: false, type: "date" },
    { id: 8, name: "t", required: false, type: "time" },
    { id: 9, name: "ts", required: false, type: "timestamp" },
    { id: 10, name: "tstz", required: true, type: "timestamptz" },
    { id: 11, name: "s", required: false, type: "string" },
    { id: 12, name: "u", required: false, type: "uuid" },
    { id: 13, name: "fx", required: false, type: "fixed[4]" },
    { id: 14, name: "bin", required: false, type: "binary" },
  ],
};
export const HOUR = 3_600_000_000n;

export function allTypesRows(n: number, seed: number): Row[] {
  return Array.from({ length: n }, (_, k) => {
    const i = seed * 100 + k;
    const nul = k % 9 === 4;
    // Times span 1969..1971 with sub-millisecond digits (pre-epoch values included).
    const tstz = -400n * 24n * HOUR + BigInt(i) * 37n * HOUR + BigInt(i * 1_234_567);
    return {
      b: nul ? null : i % 3 === 0,
      i: nul ? null : ((i * 7919) % 2000) - 1000,
      l: BigInt(i) * 1_000_000_007n - 5_000_000_000n,
      f: nul ? null : (i % 50) / 4 - 3,
      d: nul ? null : i / 8 - 17.5,
      dec: nul ? null : BigInt(i * 137 - 9000),
      dt: nul ? null : i * 11 - 600,
      t: nul ? null : (BigInt(i) * 1_000_003n) % (86_400n * 1_000_000n),
      ts: nul ? null : tstz + 3n * HOUR,
      tstz,
      s: nul ? null : ["alpha", "beta", "gamma", "épsilon", "😀zeta", "a/b c", ""][i % 7]! + String(i % 5),
      u: nul ? null : uuidToBytes(`f79c3e09-677c-4bbd-a479-3f349cb7${String(850 + (i % 100)).padStart(4, "0")}`),
      fx: nul ? null : Uint8Array.of(i % 256, 1, 2, 3),
      bin: nul ? null : Uint8Array.from({ length: i % 6 }, (_, j) => (i * 31 + j * 97) % 256),
    };
  });
}

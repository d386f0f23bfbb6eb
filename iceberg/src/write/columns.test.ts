// Column kernels against naive reference computations (BigInt sorting, Buffer.compare).
import { describe, expect, it } from "vitest";
import { type Column, columnStats, concat, take } from "./columns.ts";
import { compareI64, i64ToNumber, i64Words } from "./i64.ts";

function i64Col(values: bigint[], valid?: number[]): Column {
  return {
    type: "long",
    length: values.length,
    values: BigInt64Array.from(values),
    stride: 1,
    offsets: null,
    bytes: null,
    valid: valid ? Uint8Array.from(valid) : null,
  };
}

function binCol(values: Uint8Array[]): Column {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((v, i) => {
    offsets[i + 1] = offsets[i]! + v.length;
  });
  const bytes = new Uint8Array(offsets[values.length]!);
  values.forEach((v, i) => {
    bytes.set(v, offsets[i]!);
  });
  return { type: "binary", length: values.length, values: null, stride: 1, offsets, bytes, valid: null };
}

describe("i64 helpers", () => {
  const samples = [
    0n,
    1n,
    -1n,
    2n ** 32n,
    -(2n ** 32n),
    2n ** 32n - 1n,
    -(2n ** 63n),
    2n ** 63n - 1n,
    1_700_000_000_000_000n,
    -123456789012345n,
  ];
  it("compareI64 orders like BigInt comparison", () => {
    const w = i64Words(BigInt64Array.from(samples));
    for (let i = 0; i < samples.length; i++)
      for (let j = 0; j < samples.length; j++) {
        const want = samples[i]! < samples[j]! ? -1 : samples[i]! > samples[j]! ? 1 : 0;
        expect(Math.sign(compareI64(w, i, j)), `${samples[i]} vs ${samples[j]}`).toBe(want);
      }
  });
  it("i64ToNumber is exact below 2^53", () => {
    const safe = samples.filter((x) => x < 2n ** 53n && x > -(2n ** 53n));
    const w = i64Words(BigInt64Array.from(safe));
    safe.forEach((x, i) => {
      expect(i64ToNumber(w, i)).toBe(Number(x));
    });
  });
});

describe("columnStats", () => {
  it("long min/max/nulls with negatives and extremes", () => {
    const vals = [5n, -(2n ** 63n), 7n, 2n ** 63n - 1n, -3n, 0n];
    const s = columnStats(i64Col(vals, [1, 1, 1, 0, 1, 1]));
    expect(s).toMatchObject({ valueCount: 6, nullCount: 1, min: -(2n ** 63n), max: 7n });
  });
  it("binary min/max is unsigned lexicographic with prefixes ordering first", () => {
    const vals = [
      Uint8Array.of(1, 2),
      Uint8Array.of(1),
      Uint8Array.of(255),
      Uint8Array.of(0, 255, 255),
      Uint8Array.of(1, 2, 0),
    ];
    const sorted = [...vals].sort((a, b) => Buffer.compare(a, b));
    const s = columnStats(binCol(vals));
    expect(s.min).toEqual(sorted[0]);
    expect(s.max).toEqual(sorted.at(-1));
  });
  it("take and concat keep values and validity", () => {
    const a = i64Col([1n, 2n, 3n], [1, 0, 1]);
    const b = i64Col([4n]);
    const c = take(concat([a, b]), [3, 0, 1]);
    expect([...(c.values as BigInt64Array)]).toEqual([4n, 1n, 2n]);
    expect([...c.valid!]).toEqual([1, 1, 0]);
    const bins = take(binCol([Uint8Array.of(1), Uint8Array.of(2, 3)]), [1, 1, 0]);
    expect([...bins.bytes!]).toEqual([2, 3, 2, 3, 1]);
    expect([...bins.offsets!]).toEqual([0, 2, 4, 5]);
  });
});

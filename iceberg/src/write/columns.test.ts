// Column kernels against naive reference computations (BigInt sorting, Buffer.compare).
import { describe, expect, it } from "vitest";
import { columnStats } from "./column-stats.ts";
import { type Column, concat, take } from "./columns.ts";
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

describe("columnStats against a naive reference", () => {
  // Deterministic pseudo-random values with nulls, for each physical layout.
  let s = 7;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const n = 500;
  const valid = Uint8Array.from({ length: n }, () => (rnd() < 0.1 ? 0 : 1));
  const base = { length: n, stride: 1, offsets: null, bytes: null, valid };
  const live = (i: number): boolean => valid[i] === 1;
  it("int", () => {
    const v = Int32Array.from({ length: n }, () => Math.floor((rnd() - 0.5) * 2 ** 32));
    const xs = [...v].filter((_, i) => live(i));
    const st = columnStats({ ...base, type: "int", values: v });
    expect(st).toMatchObject({ nullCount: n - xs.length, min: Math.min(...xs), max: Math.max(...xs) });
  });
  it("double with NaN", () => {
    const v = Float64Array.from({ length: n }, () => (rnd() < 0.05 ? Number.NaN : (rnd() - 0.5) * 1e9));
    const xs = [...v].filter((x, i) => live(i) && !Number.isNaN(x));
    const nans = [...v].filter((x, i) => live(i) && Number.isNaN(x)).length;
    const st = columnStats({ ...base, type: "double", values: v });
    expect(st).toMatchObject({ nanCount: nans, min: Math.min(...xs), max: Math.max(...xs) });
  });
  it("boolean", () => {
    const v = Uint8Array.from({ length: n }, () => (rnd() < 0.5 ? 1 : 0));
    const st = columnStats({ ...base, type: "boolean", values: v });
    expect(st).toMatchObject({ min: false, max: true });
    const allTrue = columnStats({ ...base, type: "boolean", values: new Uint8Array(n).fill(1) });
    expect(allTrue).toMatchObject({ min: true, max: true });
  });
  it("long near the sign and word boundaries", () => {
    const picks = [0n, -1n, 2n ** 32n, 2n ** 32n - 1n, -(2n ** 32n), 2n ** 62n, -(2n ** 62n)];
    const v = BigInt64Array.from(
      { length: n },
      () => picks[Math.floor(rnd() * picks.length)]! + BigInt(Math.floor(rnd() * 3) - 1),
    );
    const xs = [...v].filter((_, i) => live(i)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const st = columnStats({ ...base, type: "long", values: v });
    expect(st).toMatchObject({ min: xs[0], max: xs.at(-1) });
  });
  it("fixed[16] addresses", () => {
    const v = Uint8Array.from({ length: n * 16 }, (_, i) => (i % 16 < 10 && rnd() < 0.8 ? 0 : Math.floor(rnd() * 256)));
    const xs = Array.from({ length: n }, (_, i) => v.subarray(i * 16, i * 16 + 16))
      .filter((_, i) => live(i))
      .sort((a, b) => Buffer.compare(a, b));
    const st = columnStats({ ...base, type: "fixed[16]", values: v, stride: 16 });
    expect(st.min).toEqual(xs[0]);
    expect(st.max).toEqual(xs.at(-1));
  });
  it("all null", () => {
    const st = columnStats({ ...base, type: "double", values: new Float64Array(n), valid: new Uint8Array(n) });
    expect(st).toMatchObject({ nullCount: n, nanCount: 0, min: undefined, max: undefined });
  });
});

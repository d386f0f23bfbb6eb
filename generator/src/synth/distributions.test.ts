import { describe, expect, it } from "vitest";
import { formatIpv6, ipv6Bytes } from "./address.ts";
import { exponential, paretoInt, Weighted, Zipf } from "./distributions.ts";
import { Prng } from "./prng.ts";

describe("Prng", () => {
  it("is deterministic by seed and uniform enough", () => {
    const a = new Prng(123);
    const b = new Prng(123);
    const xs = Array.from({ length: 1000 }, () => a.nextUint32());
    expect(Array.from({ length: 1000 }, () => b.nextUint32())).toEqual(xs);
    expect(new Prng(124).nextUint32()).not.toBe(xs[0]);
    const rng = new Prng(9);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.float();
      if (u < 0 || u >= 1) outside++;
      else buckets[Math.floor(u * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it("int() stays within inclusive bounds and hits both ends", () => {
    const rng = new Prng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(rng.int(3, 7));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });
});

describe("distributions", () => {
  it("Zipf ranks follow 1/k^s", () => {
    const zipf = new Zipf(100, 1);
    const rng = new Prng(2);
    const counts = new Array<number>(100).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[zipf.sample(rng)]!++;
    const harmonic = Array.from({ length: 100 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    for (const k of [0, 1, 4, 9]) {
      expect(counts[k]! / n).toBeCloseTo(1 / (k + 1) / harmonic, 2);
    }
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it("Weighted follows its weights", () => {
    const w = new Weighted<string>([
      ["a", 80],
      ["b", 18],
      ["c", 2],
    ]);
    const rng = new Prng(3);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 100_000; i++) counts[w.sample(rng)]!++;
    expect(counts.a! / 100_000).toBeCloseTo(0.8, 2);
    expect(counts.b! / 100_000).toBeCloseTo(0.18, 2);
    expect(counts.c! / 100_000).toBeCloseTo(0.02, 2);
  });

  it("paretoInt is bounded and heavy-tailed; exponential has its mean", () => {
    const rng = new Prng(4);
    const xs = Array.from({ length: 100_000 }, () => paretoInt(rng, 1, 1.1, 1_000_000));
    expect(Math.min(...xs)).toBe(1);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1_000_000);
    expect(xs.filter((x) => x === 1).length / xs.length).toBeGreaterThan(0.4);
    expect(xs.filter((x) => x > 1000).length).toBeGreaterThan(0);
    const es = Array.from({ length: 100_000 }, () => exponential(rng, 50));
    expect(es.reduce((a, b) => a + b, 0) / es.length).toBeCloseTo(50, 0);
  });
});

describe("IPv6 text", () => {
  it("formats canonically (RFC 5952), as the WHATWG URL serializer does", () => {
    const rng = new Prng(5);
    for (let i = 0; i < 2000; i++) {
      // Many zero groups, so that zero-run compression is exercised.
      const groups = Array.from({ length: 8 }, () => (rng.chance(0.5) ? 0 : rng.int(0, 0xffff)));
      const text = formatIpv6(groups);
      expect(text).toBe(new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname.slice(1, -1));
      const bytes = ipv6Bytes(text);
      expect(Array.from({ length: 8 }, (_, j) => bytes.readUInt16BE(j * 2))).toEqual(groups);
    }
  });
});

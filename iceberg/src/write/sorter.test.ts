// The sort permutation against a reference sort with BigInt comparisons: 64-bit values whose
// halves make the 32-bit word comparison easy to get wrong (negative values, low words past
// 2^31, equal high words), in and out of order, both directions.
import { describe, expect, it } from "vitest";
import type { SortField } from "../spec/partition.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Column } from "./columns.ts";
import { sortPermutation } from "./sorter.ts";

function field(direction: "asc" | "desc"): SortField {
  return { sourceId: 1, transform: parseTransform("identity"), direction, nullOrder: "nulls-first" };
}

function column(values: bigint[]): Column {
  const data = BigInt64Array.from(values);
  return { type: "long", length: data.length, values: data, stride: 1, offsets: null, bytes: null, valid: null };
}

/** Row order by the reference: values compared as BigInts, ties in input order. */
function reference(values: bigint[], direction: "asc" | "desc"): number[] {
  const sign = direction === "asc" ? 1 : -1;
  return values
    .map((v, i) => [v, i] as const)
    .sort(([a, i], [b, j]) => (a < b ? -sign : a > b ? sign : i - j))
    .map(([, i]) => i);
}

// Values around the word boundaries, deterministic.
const edges = [-(2n ** 63n), -(2n ** 32n) - 1n, -1n, 0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n - 1n];
function sample(n: number, seed: number): bigint[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const e = edges[x % edges.length]!;
    const jitter = BigInt(x % 5) - 2n;
    const v = e + jitter;
    return v > 2n ** 63n - 1n ? 2n ** 63n - 1n : v < -(2n ** 63n) ? -(2n ** 63n) : v;
  });
}

describe("sortPermutation on one 64-bit identity field", () => {
  for (const direction of ["asc", "desc"] as const) {
    it(`${direction}: undefined exactly when the rows are in order, else the reference order`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const values = sample(200, seed);
        const order = reference(values, direction);
        const inOrder = reference(values, direction).map((i) => values[i]!);
        // Out of order: the permutation is the reference's (stable) order.
        expect(Array.from(sortPermutation([field(direction)], [column(values)], values.length)!)).toEqual(order);
        // In order (with ties): no permutation.
        expect(sortPermutation([field(direction)], [column(inOrder)], inOrder.length)).toBeUndefined();
        // One pair swapped where the values differ: a permutation again.
        const k = inOrder.findIndex((v, i) => i > 0 && v !== inOrder[i - 1]);
        const swapped = [...inOrder];
        [swapped[k - 1], swapped[k]] = [swapped[k]!, swapped[k - 1]!];
        expect(sortPermutation([field(direction)], [column(swapped)], swapped.length)).toBeDefined();
      }
    });
  }
});

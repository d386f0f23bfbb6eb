import { describe, expect, it } from "vitest";
import { ALL, intersect, isAll, NONE, normalize, type RangeSet, range, union } from "./time-range.ts";

const r = (from: number | null, to: number | null): RangeSet => [
  { from: from === null ? null : BigInt(from), to: to === null ? null : BigInt(to) },
];

describe("range sets", () => {
  it.each([
    ["disjoint stay apart", union(r(1, 2), r(3, 4)), [...r(1, 2), ...r(3, 4)]],
    ["touching ranges merge", union(r(1, 2), r(2, 4)), r(1, 4)],
    ["overlapping merge", union(r(3, 6), r(1, 4)), r(1, 6)],
    ["open sides absorb", union(r(null, 2), r(1, null)), ALL],
    ["intersection", intersect(r(1, 5), r(3, 8)), r(3, 5)],
    ["empty intersection", intersect(r(1, 3), r(3, 8)), NONE],
    ["intersection with open sides", intersect(r(null, 5), r(2, null)), r(2, 5)],
    ["intersection distributes", intersect(union(r(1, 3), r(5, 9)), r(2, 6)), [...r(2, 3), ...r(5, 6)]],
    ["empty ranges vanish", normalize([...r(4, 4), ...r(5, 3)]), NONE],
    ["range helper", range(1n, 9n), r(1, 9)],
  ])("%s", (_description, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it("knows unbounded", () => {
    expect(isAll(ALL)).toBe(true);
    expect(isAll(r(null, 1))).toBe(false);
    expect(isAll(NONE)).toBe(false);
  });
});

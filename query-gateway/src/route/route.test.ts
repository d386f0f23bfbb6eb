// Routing, table-driven over measured tier ranges: daily cold files for 1–9 January, daily hot
// chunks for 10–12 January, and a late-arriving hot chunk for 5 January inside the archive.
import { describe, expect, it } from "vitest";
import { ALL, NONE, type RangeSet, union } from "../sql/time-range.ts";
import { type ColdFile, type HotChunk, type RouteKind, route, type Tiers } from "./route.ts";

const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const day = (n: number): bigint => us(`2026-01-${String(n).padStart(2, "0")}T00:00:00Z`);
const HOUR = 3_600_000_000n;

const chunk = (chunkId: number, start: bigint, end: bigint): HotChunk => ({
  chunkId,
  rangeStart: start,
  rangeEnd: end,
});
/** A day's cold file: data from 00:00 to the last microsecond of the day (inclusive metrics), partition day(ts). */
const coldDay = (n: number): ColdFile => ({
  path: `data/ts_day=2026-01-${String(n).padStart(2, "0")}/f.parquet`,
  lower: day(n),
  upper: day(n + 1) - 1n,
  partition: { start: day(n), end: day(n + 1) },
});

const HOT = [chunk(10, day(10), day(11)), chunk(11, day(11), day(12)), chunk(12, day(12), day(13))];
const LATE = chunk(99, day(5), day(6));
const COLD = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(coldDay);
const TIERS: Tiers = { hotChunks: [...HOT, LATE], coldFiles: COLD };

const between = (from: bigint | null, to: bigint | null): RangeSet => [{ from, to }];

/** [description, bounds, tiers, route, hot chunk ids, cold file days] */
const CASES: readonly [string, RangeSet, Tiers, RouteKind, number[], number[]][] = [
  ["unbounded reads every tier", ALL, TIERS, "both", [10, 11, 12, 99], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ["nothing can match", NONE, TIERS, "none", [], []],
  ["one hot day", between(day(11), day(12)), TIERS, "hot", [11], []],
  ["a bound at a chunk's end is exclusive", between(day(12), null), TIERS, "hot", [12], []],
  ["the last microsecond of a chunk", between(day(11) - 1n, day(11)), TIERS, "hot", [10], []],
  ["the first microsecond of a chunk", between(day(11), day(11) + 1n), TIERS, "hot", [11], []],
  ["a point exactly on the hot/cold boundary", between(day(10), day(10) + 1n), TIERS, "hot", [10], []],
  ["the microsecond before the boundary is cold", between(day(10) - 1n, day(10)), TIERS, "cold", [], [9]],
  ["an archived day", between(day(3), day(4)), TIERS, "cold", [], [3]],
  [
    "a late hot chunk inside the archive routes to both",
    between(day(5) + 12n * HOUR, day(5) + 13n * HOUR),
    TIERS,
    "both",
    [99],
    [5],
  ],
  [
    "a range spanning the hot/cold boundary",
    between(day(9) + 12n * HOUR, day(10) + 12n * HOUR),
    TIERS,
    "both",
    [10],
    [9],
  ],
  ["open below", between(null, day(2)), TIERS, "cold", [], [1]],
  ["before all data", between(null, day(1)), TIERS, "none", [], []],
  ["after all data", between(day(13), null), TIERS, "none", [], []],
  ["a gap between ranges", union(between(day(2), day(3)), between(day(11), day(12))), TIERS, "both", [11], [2]],
  [
    "last 7 days from 12 Jan 12:00",
    between(day(5) + 12n * HOUR, null),
    TIERS,
    "both",
    [10, 11, 12, 99],
    [5, 6, 7, 8, 9],
  ],
  ["only a hot tier", ALL, { hotChunks: HOT, coldFiles: [] }, "hot", [10, 11, 12], []],
  ["only a cold tier", ALL, { hotChunks: [], coldFiles: COLD }, "cold", [], [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ["no tiers at all", ALL, { hotChunks: [], coldFiles: [] }, "none", [], []],
];

describe("route", () => {
  it.each(CASES)("%s", (_description, bounds, tiers, kind, chunkIds, coldDays) => {
    const result = route(bounds, tiers);
    expect(result.route).toBe(kind);
    expect(result.hotChunks.map((c) => c.chunkId).sort((a, b) => a - b)).toEqual(chunkIds);
    expect(result.coldFiles.map((f) => f.path)).toEqual(coldDays.map((n) => coldDay(n).path));
    expect(result.coldFilesPruned).toBe(tiers.coldFiles.length - coldDays.length);
  });

  it("treats a file's upper bound as inclusive", () => {
    const file: ColdFile = { path: "f", lower: day(6), upper: day(6) + 10n * HOUR };
    const tiers: Tiers = { hotChunks: [], coldFiles: [file] };
    expect(route(between(day(6) + 10n * HOUR, day(7)), tiers).route).toBe("cold");
    expect(route(between(day(6) + 10n * HOUR + 1n, day(7)), tiers).route).toBe("none");
    expect(route(between(null, day(6)), tiers).route).toBe("none");
    expect(route(between(null, day(6) + 1n), tiers).route).toBe("cold");
  });

  it("reads a file without metrics whenever its partition matches", () => {
    const noMetrics: ColdFile = { path: "m", lower: null, upper: null };
    const partitionOnly: ColdFile = { path: "p", lower: null, upper: null, partition: { start: day(7), end: day(8) } };
    const tiers: Tiers = { hotChunks: [], coldFiles: [noMetrics, partitionOnly] };
    expect(route(between(day(8), day(9)), tiers).coldFiles.map((f) => f.path)).toEqual(["m"]);
    expect(route(between(day(7), day(8)), tiers).coldFiles.map((f) => f.path)).toEqual(["m", "p"]);
  });

  it("intersects metrics with the partition", () => {
    // Metrics wider than the partition (a writer that did not clip them) are narrowed by it.
    const file: ColdFile = { path: "w", lower: day(1), upper: day(9), partition: { start: day(4), end: day(5) } };
    expect(route(between(day(2), day(3)), { hotChunks: [], coldFiles: [file] }).route).toBe("none");
    expect(route(between(day(4), day(4) + 1n), { hotChunks: [], coldFiles: [file] }).route).toBe("cold");
  });
});

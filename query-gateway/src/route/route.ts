/**
 * Routing (architecture invariant 5): which tiers, which chunks and which
 * files a query must read, from its time bounds and the tiers' MEASURED
 * ranges — hot chunk ranges from the TimescaleDB chunk catalog, cold file
 * bounds from the Iceberg snapshot. A pure function: no I/O, no clock, no
 * configuration. A late-arriving hot chunk inside an archived range simply
 * overlaps cold files too, and the query goes to both tiers.
 */
import { overlaps, type RangeSet } from "../sql/time-range.ts";

/** A hot chunk as the chunk catalog describes it: [rangeStart, rangeEnd) in epoch microseconds. */
export interface HotChunk {
  readonly chunkId: number;
  readonly rangeStart: bigint;
  /** Exclusive, as TimescaleDB chunk ranges are. */
  readonly rangeEnd: bigint;
}

/**
 * A cold data file of the Iceberg snapshot. `lower`/`upper` are the file's ts
 * column metrics (Iceberg lower/upper bounds: inclusive min and max); null when
 * the file has no metrics, which makes it match everything. `partition`, when
 * given, is the half-open ts range of its partition (day(ts) → one day) and is
 * intersected with the metrics.
 */
export interface ColdFile {
  readonly path: string;
  readonly lower: bigint | null;
  readonly upper: bigint | null;
  readonly partition?: { readonly start: bigint; readonly end: bigint };
  readonly recordCount?: number;
}

export interface Tiers {
  readonly hotChunks: readonly HotChunk[];
  readonly coldFiles: readonly ColdFile[];
}

export type RouteKind = "hot" | "cold" | "both" | "none";

export interface Route {
  readonly route: RouteKind;
  readonly hotChunks: readonly HotChunk[];
  readonly coldFiles: readonly ColdFile[];
  /** Cold files skipped because their bounds miss the query's ranges (time, and addresses after `pruneCold`). */
  readonly coldFilesPruned: number;
  /** Of those, files skipped by `pruneCold` (address bounds). */
  readonly coldFilesPrunedByFilter?: number;
}

/**
 * Narrows a route's cold files to `keep` (the files a scan planner kept for
 * the query's other predicates, e.g. address ranges against column bounds).
 * The route kind follows: a query whose cold files are all skipped no longer
 * reads the cold tier.
 */
export function pruneCold(r: Route, keep: ReadonlySet<string>): Route {
  const coldFiles = r.coldFiles.filter((f) => keep.has(f.path));
  const removed = r.coldFiles.length - coldFiles.length;
  if (removed === 0) return { ...r, coldFilesPrunedByFilter: 0 };
  const hot = r.hotChunks.length > 0;
  const kind: RouteKind = hot ? (coldFiles.length > 0 ? "both" : "hot") : coldFiles.length > 0 ? "cold" : "none";
  return {
    route: kind,
    hotChunks: r.hotChunks,
    coldFiles,
    coldFilesPruned: r.coldFilesPruned + removed,
    coldFilesPrunedByFilter: removed,
  };
}

/**
 * Picks the chunks and files whose measured ranges meet the query's ranges
 * (`bounds`: the union of the query's flows references; [] = reads nothing,
 * [{from: null, to: null}] = unbounded).
 */
export function route(bounds: RangeSet, tiers: Tiers): Route {
  const hotChunks = tiers.hotChunks.filter((c) => overlaps(bounds, c.rangeStart, c.rangeEnd));
  const coldFiles = tiers.coldFiles.filter((f) => coldFileMatches(bounds, f));
  const kind: RouteKind =
    hotChunks.length > 0 ? (coldFiles.length > 0 ? "both" : "hot") : coldFiles.length > 0 ? "cold" : "none";
  return { route: kind, hotChunks, coldFiles, coldFilesPruned: tiers.coldFiles.length - coldFiles.length };
}

function coldFileMatches(bounds: RangeSet, file: ColdFile): boolean {
  // Metrics are inclusive [lower, upper]: as a half-open range that is [lower, upper + 1µs).
  let from = file.lower;
  let to = file.upper === null ? null : file.upper + 1n;
  if (file.partition !== undefined) {
    from = from === null || from < file.partition.start ? file.partition.start : from;
    to = to === null || to > file.partition.end ? file.partition.end : to;
  }
  if (from !== null && to !== null && from >= to) return false;
  return overlaps(bounds, from, to);
}

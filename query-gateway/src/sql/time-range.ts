/**
 * Sets of half-open time ranges [from, to) in epoch microseconds; a null side
 * is unbounded. A set is kept sorted, disjoint and with touching ranges merged,
 * so equal sets compare equal. The empty set means "no row can match".
 */

export interface TimeRange {
  /** Inclusive lower bound in epoch microseconds; null = unbounded. */
  readonly from: bigint | null;
  /** Exclusive upper bound in epoch microseconds; null = unbounded. */
  readonly to: bigint | null;
}

export type RangeSet = readonly TimeRange[];

export const ALL: RangeSet = [{ from: null, to: null }];
export const NONE: RangeSet = [];

export function range(from: bigint | null, to: bigint | null): RangeSet {
  return normalize([{ from, to }]);
}

export function isAll(set: RangeSet): boolean {
  return set.length === 1 && set[0]?.from === null && set[0]?.to === null;
}

const lowerLess = (a: bigint | null, b: bigint | null): boolean => (a === null ? b !== null : b !== null && a < b);
const upperLess = (a: bigint | null, b: bigint | null): boolean => (a === null ? false : b === null || a < b);

export function normalize(ranges: readonly TimeRange[]): RangeSet {
  const nonEmpty = ranges.filter((r) => r.from === null || r.to === null || r.from < r.to);
  const sorted = [...nonEmpty].sort((a, b) => (lowerLess(a.from, b.from) ? -1 : lowerLess(b.from, a.from) ? 1 : 0));
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    // Touching ranges merge too: [a, b) ∪ [b, c) = [a, c).
    if (last !== undefined && (last.to === null || r.from === null || r.from <= last.to)) {
      out[out.length - 1] = { from: last.from, to: upperLess(last.to, r.to) ? r.to : last.to };
    } else {
      out.push(r);
    }
  }
  return out;
}

export function union(a: RangeSet, b: RangeSet): RangeSet {
  return normalize([...a, ...b]);
}

export function intersect(a: RangeSet, b: RangeSet): RangeSet {
  const out: TimeRange[] = [];
  for (const x of a) {
    for (const y of b) {
      const from = lowerLess(x.from, y.from) ? y.from : x.from;
      const to = upperLess(x.to, y.to) ? x.to : y.to;
      out.push({ from, to });
    }
  }
  return normalize(out);
}

/** True when [from, to) overlaps some range of the set. */
export function overlaps(set: RangeSet, from: bigint | null, to: bigint | null): boolean {
  return intersect(set, [{ from, to }]).length > 0;
}

import type { Prng } from "./prng.ts";

/**
 * Zipf-distributed ranks over n items: item k (0-based) has weight 1/(k+1)^s.
 * The cumulative weights are computed once; a draw is a binary search.
 */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly exponent: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`zipf needs at least one item, got ${n}`);
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / (k + 1) ** exponent;
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.cdf[k] = (this.cdf[k] ?? 0) / total;
  }

  /** A rank in [0, n). */
  sample(rng: Prng): number {
    const u = rng.float();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** A categorical distribution over fixed values with relative weights. */
export class Weighted<T> {
  private readonly cdf: number[];

  constructor(private readonly entries: readonly (readonly [T, number])[]) {
    if (entries.length === 0) throw new Error("weighted distribution needs entries");
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let acc = 0;
    this.cdf = entries.map(([, w]) => {
      acc += w / total;
      return acc;
    });
  }

  sample(rng: Prng): T {
    const u = rng.float();
    for (let i = 0; i < this.cdf.length; i++) {
      if (u < (this.cdf[i] ?? 1)) return this.entries[i]![0];
    }
    return this.entries[this.entries.length - 1]![0];
  }
}

/**
 * Pareto-distributed integer >= min with shape alpha, capped at max: the
 * heavy tail of flow sizes (most flows are a few packets, a few are huge).
 */
export function paretoInt(rng: Prng, min: number, alpha: number, max: number): number {
  const u = 1 - rng.float(); // (0, 1]
  const value = Math.floor(min / u ** (1 / alpha));
  return Math.min(max, Math.max(min, value));
}

/** Exponentially distributed value with the given mean. */
export function exponential(rng: Prng, mean: number): number {
  return -Math.log(1 - rng.float()) * mean;
}

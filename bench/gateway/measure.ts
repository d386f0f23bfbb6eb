/**
 * Timing side by side: each side runs once untimed (JIT, caches, file metadata), then timed
 * rounds alternate the sides so machine noise hits both alike. The median counts. Rounds stop
 * early once the time budget is spent (at least one timed round; none when the warm-up alone spent
 * it: then the warm-up runs are the measurement), so 20M-row hot scans on the embedded engine do
 * not take the whole run.
 */

export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly runsMs: readonly number[];
  /** True when the warm-up alone spent the budget and its runs are the measurement (cold caches included). */
  readonly warmupOnly?: boolean;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] ?? Number.NaN) + ((sorted[hi] ?? Number.NaN) - (sorted[lo] ?? Number.NaN)) * (at - lo);
}

export function timing(runsMs: readonly number[]): Timing {
  return { medianMs: percentile(runsMs, 0.5), minMs: Math.min(...runsMs), runsMs: runsMs.map(round2) };
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export async function sideBySide<K extends string>(
  sides: Readonly<Record<K, () => Promise<unknown>>>,
  repeats: number,
  budgetMs: number,
): Promise<Record<K, Timing>> {
  const names = Object.keys(sides) as K[];
  const runs = new Map<K, number[]>(names.map((n) => [n, []]));
  const started = performance.now();
  const warmups = new Map<K, number>();
  for (const name of names) {
    const t = performance.now();
    await sides[name]();
    warmups.set(name, performance.now() - t);
  }
  // A query so slow that its warm-up spent the budget (20M-row scans on the embedded engine) is not run again.
  if (performance.now() - started > budgetMs)
    return Object.fromEntries(
      names.map((n) => [n, { ...timing([warmups.get(n) ?? Number.NaN]), warmupOnly: true }]),
    ) as Record<K, Timing>;
  for (let round = 0; round < repeats; round++) {
    for (const name of names) {
      const t = performance.now();
      await sides[name]();
      runs.get(name)?.push(performance.now() - t);
    }
    if (performance.now() - started > budgetMs) break;
  }
  return Object.fromEntries(names.map((n) => [n, timing(runs.get(n) ?? [])])) as Record<K, Timing>;
}

/**
 * Like sideBySide, but each side runs in blocks: one untimed call, then `blockSize` timed calls,
 * blocks alternating until every side has `runs` timings. For millisecond queries on the
 * embedded engine, which switches session state whenever the client connection changes:
 * alternating every call would charge that switch to whichever side's connection is odd one out.
 */
export async function blocksSideBySide<K extends string>(
  sides: Readonly<Record<K, () => Promise<unknown>>>,
  runs: number,
  blockSize: number,
): Promise<Record<K, Timing>> {
  const names = Object.keys(sides) as K[];
  const times = new Map<K, number[]>(names.map((n) => [n, []]));
  while ((times.get(names[0] as K)?.length ?? runs) < runs) {
    for (const name of names) {
      await sides[name]();
      for (let i = 0; i < blockSize; i++) {
        const t = performance.now();
        await sides[name]();
        times.get(name)?.push(performance.now() - t);
      }
    }
  }
  return Object.fromEntries(names.map((n) => [n, timing(times.get(n) ?? [])])) as Record<K, Timing>;
}

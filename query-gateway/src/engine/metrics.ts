/**
 * Gateway metrics, rendered in the Prometheus text format by GET /metrics.
 * Plain counters and a fixed-bucket histogram: no client library needed.
 */

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class GatewayMetrics {
  private readonly queries = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private filesScanned = 0;
  private filesPruned = 0;
  private hotRowsMoved = 0;
  private readonly speculations = { used: 0, discarded: 0 };

  /** One finished query: its route and outcome ("ok" or an error kind). */
  query(route: string, outcome: string, seconds: number): void {
    const key = `route="${route}",outcome="${outcome}"`;
    this.queries.set(key, (this.queries.get(key) ?? 0) + 1);
    let h = this.durations.get(route);
    if (h === undefined) {
      h = { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(route, h);
    }
    DURATION_BUCKETS.forEach((b, i) => {
      if (seconds <= b && h !== undefined) h.counts[i] = (h.counts[i] ?? 0) + 1;
    });
    h.sum += seconds;
    h.count++;
  }

  files(scanned: number, pruned: number): void {
    this.filesScanned += scanned;
    this.filesPruned += pruned;
  }

  hotRows(n: number): void {
    this.hotRowsMoved += n;
  }

  /** A cold part started before its cut (see cold-speculation.ts): kept, or discarded for the cut's plan. */
  speculation(outcome: "used" | "discarded"): void {
    this.speculations[outcome]++;
  }

  /** Speculations so far, by outcome. */
  speculationCounts(): { readonly used: number; readonly discarded: number } {
    return { ...this.speculations };
  }

  /** Prometheus text; `gauges` are sampled by the caller (cache, in-flight). */
  render(gauges: Readonly<Record<string, number>>): string {
    const lines: string[] = [
      "# HELP gateway_queries_total Queries finished, by route and outcome.",
      "# TYPE gateway_queries_total counter",
    ];
    for (const [labels, n] of this.queries) lines.push(`gateway_queries_total{${labels}} ${n}`);
    lines.push(
      "# HELP gateway_query_duration_seconds Query wall time, by route.",
      "# TYPE gateway_query_duration_seconds histogram",
    );
    for (const [route, h] of this.durations) {
      DURATION_BUCKETS.forEach((b, i) => {
        lines.push(`gateway_query_duration_seconds_bucket{route="${route}",le="${b}"} ${h.counts[i] ?? 0}`);
      });
      lines.push(`gateway_query_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`);
      lines.push(`gateway_query_duration_seconds_sum{route="${route}"} ${h.sum}`);
      lines.push(`gateway_query_duration_seconds_count{route="${route}"} ${h.count}`);
    }
    lines.push(
      "# HELP gateway_cold_files_scanned_total Cold data files read by queries.",
      "# TYPE gateway_cold_files_scanned_total counter",
      `gateway_cold_files_scanned_total ${this.filesScanned}`,
      "# HELP gateway_cold_files_pruned_total Cold data files skipped by pruning.",
      "# TYPE gateway_cold_files_pruned_total counter",
      `gateway_cold_files_pruned_total ${this.filesPruned}`,
      "# HELP gateway_hot_rows_moved_total Hot rows copied into DuckDB for queries that could not be decomposed.",
      "# TYPE gateway_hot_rows_moved_total counter",
      `gateway_hot_rows_moved_total ${this.hotRowsMoved}`,
      "# HELP gateway_cold_speculations_total Cold parts started beside their cut from the cached tier state, by whether the cut's plan kept them.",
      "# TYPE gateway_cold_speculations_total counter",
      `gateway_cold_speculations_total{outcome="used"} ${this.speculations.used}`,
      `gateway_cold_speculations_total{outcome="discarded"} ${this.speculations.discarded}`,
    );
    for (const [name, value] of Object.entries(gauges)) {
      lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

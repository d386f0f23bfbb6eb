/**
 * The four measurements of the benchmark, each side by side in one run:
 * standard queries (gateway vs direct DuckDB on the cold placement, plus the
 * recent placement), scan-heavy cold vs hot over equal row counts, pruning (a
 * 1-day query over the year-long table vs a 1-day table) and the hot point
 * query's added latency (gateway, HTTP app, direct TimescaleDB).
 */
import { DAY_MS, type DatasetOptions, datasetWindows } from "./config.ts";
import type { DirectDuckDb, DirectTimescale } from "./direct.ts";
import type { BenchGateway, GatewayRun } from "./gateway-client.ts";
import { blocksSideBySide, percentile, round2, sideBySide, type Timing } from "./measure.ts";
import { type FiveTuple, pointQuery, type QueryTemplate, scanQueries, type Window } from "./queries.ts";

export interface Sides {
  readonly gateway: BenchGateway;
  readonly duck: DirectDuckDb;
  readonly timescale: DirectTimescale;
  readonly repeats: number;
}

/** Per-query time budget before rounds stop early (at least one timed round runs). */
const BUDGET_MS = 60_000;

export interface Placed {
  readonly window: { readonly from: string; readonly to: string };
  readonly sql: string;
  readonly route: string;
  readonly strategy: string;
  readonly filesScanned: number;
  readonly filesPruned: number;
  readonly hotChunks: number;
  readonly hotRowsMoved: number;
  readonly rows: number;
  /** Null when the gateway refused or failed the query (see `error`). */
  readonly gateway: Timing | null;
  /** Medians of the gateway's reported breakdown over the timed runs: cut transaction (tier state + hot part), cold part. */
  readonly gatewayBreakdownMs: { readonly cut: number; readonly cold: number } | null;
  readonly error?: string;
}

export interface StandardResult {
  readonly name: string;
  readonly cold: Placed & { readonly duckdb: Timing | null; readonly gatewayOverDuckdb: number | null };
  readonly recent: Placed;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function ms(p: Placed): string {
  return p.gateway === null ? `failed (${p.error})` : `${round2(p.gateway.medianMs)} ms`;
}

function mapNull<T, U>(x: T | null, f: (x: T) => U): U | null {
  return x === null ? null : f(x);
}

function ratio(a: Timing | null, b: Timing | null): number | null {
  return a === null || b === null ? null : a.medianMs / b.medianMs;
}

/**
 * Runs `sql` through the gateway once (route, files, rows), then times it side by side with
 * `extra`. A query the gateway fails is recorded with its error instead of ending the run.
 */
async function placed(
  s: Sides,
  sql: string,
  w: Window,
  extra: Record<string, () => Promise<unknown>> = {},
): Promise<{ base: Placed; times: Record<string, Timing> }> {
  const window = { from: iso(w.fromMs), to: iso(w.toMs) };
  try {
    // The untimed warm-up run of the gateway side is also where route, files and rows are read.
    let first: GatewayRun | undefined;
    const runs: GatewayRun[] = [];
    const times: Record<string, Timing> = await sideBySide(
      {
        gateway: async () => {
          const run = await s.gateway.query(sql);
          if (first === undefined) first = run;
          else runs.push(run);
        },
        ...extra,
      },
      s.repeats,
      BUDGET_MS,
    );
    if (first === undefined) throw new Error("the gateway side did not run");
    const i = first.info;
    const measured = runs.length > 0 ? runs : [first];
    const base: Placed = {
      window,
      sql,
      route: i.route,
      strategy: i.strategy,
      filesScanned: i.filesScanned,
      filesPruned: i.filesPruned,
      hotChunks: i.hotChunks,
      hotRowsMoved: i.hotRowsMoved,
      rows: first.rows,
      gateway: times.gateway ?? null,
      gatewayBreakdownMs: {
        cut: round2(
          percentile(
            measured.map((r) => r.timingsMs.hot),
            0.5,
          ),
        ),
        cold: round2(
          percentile(
            measured.map((r) => r.timingsMs.cold),
            0.5,
          ),
        ),
      },
    };
    return { base, times };
  } catch (error) {
    const i = (await s.gateway.explain(sql).catch(() => undefined))?.info;
    const base: Placed = {
      window,
      sql,
      route: i?.route ?? "?",
      strategy: i?.strategy ?? "?",
      filesScanned: i?.filesScanned ?? 0,
      filesPruned: i?.filesPruned ?? 0,
      hotChunks: i?.hotChunks ?? 0,
      hotRowsMoved: 0,
      rows: 0,
      gateway: null,
      gatewayBreakdownMs: null,
      error: error instanceof Error ? error.message : String(error),
    };
    return { base, times: {} };
  }
}

/** The cold placement ends where the hot window starts; the recent one at the dataset's end. */
export async function standardSection(
  s: Sides,
  d: DatasetOptions,
  templates: readonly QueryTemplate[],
  log: (line: string) => void,
): Promise<StandardResult[]> {
  const w = datasetWindows(d);
  const out: StandardResult[] = [];
  for (const t of templates) {
    const coldWindow = { fromMs: Math.max(w.coldStartMs, w.hotStartMs - t.spanMs), toMs: w.hotStartMs };
    const coldSql = t.sql(coldWindow);
    const explained = await s.gateway.explain(coldSql);
    const duckSql = explained.info.strategy === "cold" ? explained.sql.cold : undefined;
    const duckRows = duckSql === undefined ? null : await s.duck.query(duckSql, "UTC");
    const cold = await placed(
      s,
      coldSql,
      coldWindow,
      duckSql === undefined ? {} : { duckdb: () => s.duck.query(duckSql, "UTC") },
    );
    if (duckRows !== null && cold.base.gateway !== null && duckRows !== cold.base.rows)
      throw new Error(`${t.name}: the gateway returned ${cold.base.rows} rows, direct DuckDB ${duckRows}`);
    const duckdb = cold.times.duckdb ?? null;
    const recentWindow = { fromMs: w.endMs - t.spanMs, toMs: w.endMs };
    const recent = await placed(s, t.sql(recentWindow), recentWindow);
    out.push({
      name: t.name,
      cold: { ...cold.base, duckdb, gatewayOverDuckdb: ratio(cold.base.gateway, duckdb) },
      recent: recent.base,
    });
    log(
      `${t.name}: cold ${ms(cold.base)} (duckdb ${round2(duckdb?.medianMs ?? Number.NaN)} ms), recent ${recent.base.route} ${ms(recent.base)}`,
    );
  }
  return out;
}

export interface ScanResult {
  readonly name: string;
  readonly hot: Placed;
  readonly cold: Placed & { readonly duckdb: Timing | null };
  /** Time per row scanned, cold ÷ hot (the plain time ratio when both windows hold as many rows). */
  readonly coldOverHot: number | null;
  readonly gatewayOverDuckdb: number | null;
}

/**
 * Scan-heavy queries over the whole hot window (TimescaleDB) and over the latest cold days that
 * hold as many rows (DuckDB over Parquet): the same work on each tier.
 */
export async function scanSection(
  s: Sides,
  d: DatasetOptions,
  log: (line: string) => void,
): Promise<{ coldDays: number; coldRows: number; hotRows: number; results: ScanResult[] }> {
  const w = datasetWindows(d);
  // As many cold days as hold the hot window's rows, when the cold tier is that long.
  const coldDays = Math.min(d.days, Math.max(1, Math.round(d.hotRows / d.flowsPerDay)));
  const coldRows = coldDays * d.flowsPerDay;
  const perRow = coldRows / d.hotRows;
  const hotWindow = { fromMs: w.hotStartMs, toMs: w.endMs };
  const coldWindow = { fromMs: w.hotStartMs - coldDays * DAY_MS, toMs: w.hotStartMs };
  const results: ScanResult[] = [];
  for (const t of scanQueries()) {
    const hot = await placed(s, t.sql(hotWindow), hotWindow);
    const coldSql = t.sql(coldWindow);
    const explained = await s.gateway.explain(coldSql);
    const duckSql = explained.info.strategy === "cold" ? explained.sql.cold : undefined;
    const cold = await placed(
      s,
      coldSql,
      coldWindow,
      duckSql === undefined ? {} : { duckdb: () => s.duck.query(duckSql, "UTC") },
    );
    const duckdb = cold.times.duckdb ?? null;
    const result: ScanResult = {
      name: t.name,
      hot: hot.base,
      cold: { ...cold.base, duckdb },
      coldOverHot: mapNull(ratio(cold.base.gateway, hot.base.gateway), (r) => r / perRow),
      gatewayOverDuckdb: ratio(cold.base.gateway, duckdb),
    };
    results.push(result);
    log(
      `scan ${t.name}: hot ${ms(hot.base)}, cold ${ms(cold.base)}, cold/hot ${round2(result.coldOverHot ?? Number.NaN)}`,
    );
  }
  return { coldDays, coldRows, hotRows: d.hotRows, results };
}

export interface PruningResult {
  readonly name: string;
  readonly day: string;
  readonly year: { readonly timing: Timing; readonly filesScanned: number; readonly filesPruned: number };
  readonly oneDay: { readonly timing: Timing; readonly filesScanned: number; readonly filesPruned: number };
  readonly yearOverOneDay: number;
}

/** The same 1-day query through the gateway over the year-long table and over a table of only that day. */
export async function pruningSection(
  year: BenchGateway,
  oneDay: BenchGateway,
  repeats: number,
  dayStartMs: number,
  templates: readonly QueryTemplate[],
  log: (line: string) => void,
): Promise<PruningResult[]> {
  const w = { fromMs: dayStartMs, toMs: dayStartMs + DAY_MS };
  const out: PruningResult[] = [];
  for (const t of templates) {
    const sql = t.sql(w);
    const a = await year.query(sql);
    const b = await oneDay.query(sql);
    if (a.rows !== b.rows) throw new Error(`${t.name}: ${a.rows} rows over the year, ${b.rows} over the day table`);
    const times = await sideBySide(
      { year: () => year.query(sql), oneDay: () => oneDay.query(sql) },
      repeats,
      BUDGET_MS,
    );
    out.push({
      name: t.name,
      day: iso(dayStartMs).slice(0, 10),
      year: { timing: times.year, filesScanned: a.info.filesScanned, filesPruned: a.info.filesPruned },
      oneDay: { timing: times.oneDay, filesScanned: b.info.filesScanned, filesPruned: b.info.filesPruned },
      yearOverOneDay: times.year.medianMs / times.oneDay.medianMs,
    });
    log(`pruning ${t.name}: year ${round2(times.year.medianMs)} ms, one day ${round2(times.oneDay.medianMs)} ms`);
  }
  return out;
}

export interface PointResult {
  readonly sql: string;
  readonly route: string;
  readonly rows: number;
  readonly p50Ms: { readonly gateway: number; readonly http: number; readonly direct: number };
  readonly p90Ms: { readonly gateway: number; readonly http: number; readonly direct: number };
  readonly addedP50Ms: { readonly gateway: number; readonly http: number };
  readonly runs: number;
}

/** A hot 5-tuple lookup in the last hour: gateway, its HTTP app, and TimescaleDB directly, in alternating blocks. */
export async function pointSection(s: Sides, tuple: FiveTuple, endMs: number, repeats: number): Promise<PointResult> {
  const sql = pointQuery(tuple, { fromMs: endMs - 3_600_000, toMs: endMs });
  const first = await s.gateway.query(sql);
  const directRows = await s.timescale.query(sql);
  if (directRows !== first.rows) throw new Error(`point query: gateway ${first.rows} rows, TimescaleDB ${directRows}`);
  const t = await blocksSideBySide(
    { gateway: () => s.gateway.query(sql), http: () => s.gateway.http(sql), direct: () => s.timescale.query(sql) },
    repeats,
    10,
  );
  const p = (x: Timing, q: number) => round2(percentile(x.runsMs, q));
  return {
    sql,
    route: first.info.route,
    rows: first.rows,
    p50Ms: { gateway: p(t.gateway, 0.5), http: p(t.http, 0.5), direct: p(t.direct, 0.5) },
    p90Ms: { gateway: p(t.gateway, 0.9), http: p(t.http, 0.9), direct: p(t.direct, 0.9) },
    addedP50Ms: {
      gateway: round2(t.gateway.medianMs - t.direct.medianMs),
      http: round2(t.http.medianMs - t.direct.medianMs),
    },
    runs: t.gateway.runsMs.length,
  };
}

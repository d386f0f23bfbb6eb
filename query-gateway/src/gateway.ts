/**
 * The query gateway: one PostgreSQL query over the hot and cold tiers.
 *
 * Every query: lockdown check → time bounds → (under the concurrency limit)
 * one REPEATABLE READ READ ONLY transaction on the hot database that reads the
 * catalog pointer and the chunk list, routes on those measured ranges, and
 * runs the hot part — the consistent cut — then, after it commits, the cold
 * part in DuckDB over the snapshot that pointer named. A recent tier state
 * shortens this (cached-guess.ts): a hot query's cursor opens in the cut's
 * first round trip; a cold query's cut commits in it while its cold part
 * runs beside it, kept only if the cut plans the same (cold-speculation.ts).
 */
import { FileObjectStore, fileLocationToPath, type ObjectStore, S3ObjectStore } from "@netflow/iceberg";
import pino, { type Logger } from "pino";
import { guessFromCache } from "./cached-guess.ts";
import { ColdSpeculation, coldPlanKey } from "./cold-speculation.ts";
import type { GatewayConfig } from "./config.ts";
import { DuckDbEngine } from "./engine/duckdb.ts";
import { collectRows, type EngineName, type ResultSet, type RowStream, rowsStream } from "./engine/engine.ts";
import { QueryError } from "./engine/errors.ts";
import { FileCache } from "./engine/file-cache.ts";
import { Limiter } from "./engine/limiter.ts";
import { derived, readRef } from "./engine/limits.ts";
import { GatewayMetrics } from "./engine/metrics.ts";
import { PARTS_TABLE } from "./engine/partial-aggregate.ts";
import { type Plan, type PlanOptions, planQuery, type Strategy } from "./engine/plan.ts";
import { duckRefName, refSelectSql } from "./engine/ref-tables.ts";
import { TimescaleEngine } from "./engine/timescale.ts";
import { GatewayError } from "./errors.ts";
import { type PreparedQuery, prepareQuery } from "./prepare.ts";
import { QueryStream, type QueryTimings, type StreamEnd } from "./query-stream.ts";
import type { Route, RouteKind } from "./route/route.ts";
import { routeQuery } from "./route/route-query.ts";
import { loadSqlParser } from "./sql/parser.ts";
import { TierCache } from "./tiers/tier-cache.ts";
import { TierReader, type TierState } from "./tiers/tiers.ts";

export interface QueryRequest {
  readonly sql: string;
  /** Values of $1, $2… as text; null is SQL NULL. */
  readonly params?: readonly (string | null)[];
  /** Session TimeZone (IANA name). Default "UTC". */
  readonly timeZone?: string;
  /**
   * Aborted when the client gave up (pgwire CancelRequest or the session's statement_timeout):
   * the cold engine is interrupted and the query fails with a `timeout` QueryError (57014).
   */
  readonly signal?: AbortSignal;
}

export interface QueryInfo {
  readonly route: RouteKind;
  readonly strategy: Strategy;
  readonly engines: readonly EngineName[];
  readonly snapshotId: string | null;
  readonly hotChunks: number;
  readonly filesScanned: number;
  readonly filesPruned: number;
  /** Of filesPruned, files skipped because their address bounds exclude the query's address predicates. */
  readonly filesPrunedByAddress: number;
  readonly hotRowsMoved: number;
}

export interface QueryOutcome {
  readonly result: ResultSet;
  readonly info: QueryInfo;
  readonly timingsMs: QueryTimings;
}

export interface ExplainOutcome {
  readonly info: QueryInfo;
  /** What each engine would run. */
  readonly sql: { readonly hot?: string; readonly cold?: string; readonly merge?: string };
}

export interface GatewayOptions {
  readonly log?: Logger;
  /**
   * Test-only fault points. `insideCut` runs inside the consistent-cut
   * transaction, after the tier state is read and before the hot part runs:
   * tests start an archive commit there to force that interleaving.
   */
  readonly faults?: { readonly insideCut?: () => Promise<void> };
}

export class Gateway {
  readonly metrics = new GatewayMetrics();
  private readonly log: Logger;
  private readonly hot: TimescaleEngine;
  private readonly cold: DuckDbEngine;
  private readonly store: ObjectStore;
  private readonly cache: FileCache | null;
  private readonly tierReader: TierReader;
  private readonly limiter: Limiter;

  private readonly faults: GatewayOptions["faults"];
  private readonly tierCache: TierCache;

  constructor(
    private readonly config: GatewayConfig,
    options: GatewayOptions = {},
  ) {
    this.log = options.log ?? pino({ level: "silent" });
    this.faults = options.faults;
    const local = config.warehouse.startsWith("file:");
    this.store =
      local || config.s3 === undefined
        ? new FileObjectStore()
        : new S3ObjectStore({
            ...(config.s3.endpoint === undefined ? {} : { endpoint: config.s3.endpoint }),
            region: config.s3.region,
            accessKeyId: config.s3.accessKeyId,
            secretAccessKey: config.s3.secretAccessKey,
          });
    this.cache = local
      ? null
      : new FileCache({ dir: `${config.cacheDir}/files`, maxBytes: config.cacheBytes, store: this.store });
    this.tierReader = new TierReader({ store: this.store, catalogName: config.catalogName, table: config.table });
    this.hot = new TimescaleEngine({
      url: config.pgUrl,
      poolSize: config.pgPoolSize,
      statementTimeoutMs: config.queryTimeoutMs,
      prepare: this.tierReader.prepared(),
    });
    this.cold = new DuckDbEngine({
      memoryLimit: config.duckdbMemoryLimit,
      threads: config.duckdbThreads,
      allowedDirectories: local ? [fileLocationToPath(config.warehouse), config.cacheDir] : [config.cacheDir],
      tempDirectory: `${config.cacheDir}/spill`,
    });
    this.tierCache = new TierCache(this.tierReader, config.tierCacheMs);
    this.limiter = new Limiter(config.maxConcurrent, config.maxQueued);
  }

  async start(): Promise<void> {
    await loadSqlParser();
    await this.cache?.start();
    await this.cold.start();
    await this.hot.start();
    this.log.info({ warehouse: this.config.warehouse.replace(/\/\/[^@/]*@/, "//") }, "query gateway started");
  }

  async stop(): Promise<void> {
    await this.hot.stop();
    await this.cold.stop();
    await this.cache?.stop();
    if (this.store instanceof S3ObjectStore) this.store.close();
  }

  /** Runs a query and returns its whole result (pgwire, tests); see `stream` for the incremental form. */
  async query(request: QueryRequest): Promise<QueryOutcome> {
    const stream = await this.stream(request);
    const result = await collectRows({
      columns: stream.columns,
      next: () => stream.next(),
      close: async () => {
        if (!stream.complete) await stream.cancel();
      },
    });
    return { result, info: stream.info, timingsMs: stream.timings() };
  }

  /**
   * Runs a query and returns its result as a stream, once the first batch is
   * read (so most failures still come from here, before any row). The caller
   * reads it to the end or cancels it: until then the query holds its
   * concurrency slot and its engine resources — for a hot result, the
   * consistent-cut transaction — bounded by the query's deadline.
   */
  async stream(request: QueryRequest): Promise<QueryStream> {
    const started = performance.now();
    try {
      const stream = await this.open(request, started);
      await stream.prime();
      return stream;
    } catch (error) {
      this.failed("refused", error, started);
      throw error;
    }
  }

  private ended(route: string, end: StreamEnd, started: number): void {
    if (end.failure !== undefined) {
      this.failed(route, end.failure, started);
      return;
    }
    this.metrics.query(route, "ok", (performance.now() - started) / 1000);
  }

  private failed(route: string, error: unknown, started: number): void {
    if ((error as { counted?: boolean } | null)?.counted === true) return;
    const kind = error instanceof QueryError || error instanceof GatewayError ? error.kind : "internal";
    this.metrics.query(route, kind, (performance.now() - started) / 1000);
    if (!(error instanceof QueryError || error instanceof GatewayError) || kind === "internal") {
      this.log.error({ err: error }, "query failed");
    }
    if (typeof error === "object" && error !== null) Object.defineProperty(error, "counted", { value: true });
  }

  async explain(request: QueryRequest): Promise<ExplainOutcome> {
    const prepared = prepareQuery(request, this.config);
    const options = { timeZone: prepared.timeZone, timeoutMs: this.config.queryTimeoutMs };
    return await this.hot.cut(options, this.tierReader.statements(), async (_tx, first) => {
      const state = await this.tierReader.fromRows(first);
      const { ranges, planOptions } = prepared.at(state.nowUs);
      const r = routeQuery(ranges, state, prepared.addresses);
      const plan = planQuery(prepared.node, r, planOptions);
      const sql =
        plan.strategy === "hot"
          ? { hot: plan.hotSql }
          : plan.strategy === "cold"
            ? { cold: plan.coldSql }
            : plan.strategy === "partial-aggregate"
              ? { hot: plan.hotSql, cold: plan.coldSql, merge: plan.mergeSql }
              : { hot: plan.sliceSql, cold: plan.coldSql };
      return { info: describe(r, plan, state, 0), sql };
    });
  }

  /** Tier state for GET /api/tiers, read in one consistent cut. */
  tiers(): Promise<TierState> {
    const options = { timeZone: "UTC", timeoutMs: this.config.queryTimeoutMs };
    return this.hot.cut(options, this.tierReader.statements(), (_tx, first) => this.tierReader.fromRows(first));
  }

  async healthy(): Promise<boolean> {
    try {
      await this.hot.query("SELECT 1", { timeZone: "UTC", timeoutMs: 5_000, rowLimit: 1 });
      return true;
    } catch {
      return false;
    }
  }

  metricsText(): string {
    const cache = this.cache?.stats();
    return this.metrics.render({
      gateway_queries_in_flight: this.limiter.inFlight,
      gateway_queries_queued: this.limiter.queueLength,
      gateway_file_cache_bytes: cache?.bytes ?? 0,
      gateway_file_cache_files: cache?.files ?? 0,
      gateway_file_cache_hits: cache?.hits ?? 0,
      gateway_file_cache_misses: cache?.misses ?? 0,
    });
  }

  /** `retried`: the query starts over after a cut committed too early; it then reads no cached state. */
  private async open(request: QueryRequest, started: number, retried = false): Promise<QueryStream> {
    const prepared = prepareQuery(request, this.config);
    if (prepared.explain) {
      const explained = await this.explain(request);
      const lines = JSON.stringify(explained, null, 2).split("\n");
      const result: ResultSet = { columns: [{ name: "QUERY PLAN", type: "text" }], rows: lines.map((l) => [l]) };
      return new QueryStream(rowsStream(result), {
        info: explained.info,
        rowLimit: Number.MAX_SAFE_INTEGER,
        remaining: () => this.config.queryTimeoutMs,
        timings: () => ({ hot: 0, cold: 0, total: round(performance.now() - started) }),
        cleanup: async (end) => this.ended(explained.info.route, end, started),
      });
    }
    const deadline = started + this.config.queryTimeoutMs;
    const signal = request.signal;
    const remaining = () => {
      if (signal?.aborted) throw new QueryError("timeout", "canceling statement due to user request");
      const ms = Math.floor(deadline - performance.now());
      if (ms <= 0) throw new QueryError("timeout", "the query ran longer than its time limit");
      return ms;
    };
    const params = request.params;
    const release = await this.limiter.acquire();
    // Everything acquired from here on is released by the stream's cleanup, or below on failure.
    const held: (() => Promise<void> | void)[] = [release];
    const releaseAll = async () => {
      for (const r of held.splice(0).reverse()) await r();
    };
    let speculation: ColdSpeculation | null = null;
    try {
      const hotStart = performance.now();
      const options = { timeZone: prepared.timeZone, timeoutMs: remaining() };
      // What the cut's first round trip carries (see cached-guess.ts). After a cold guess the cut
      // commits at once: should it route the query elsewhere, the query starts over without one.
      const cached = guessFromCache(retried ? null : this.tierCache.recent(), prepared, params);
      const opening = this.hot.begin(
        "repeatable read",
        options,
        cached?.kind === "hot"
          ? this.tierReader.pointerStatements()
          : cached?.kind === "cold"
            ? this.tierReader.unlockedStatements()
            : this.tierReader.statements(),
        cached?.kind === "hot"
          ? { sql: cached.hotSql, rowLimit: this.config.rowLimit, batchRows: this.config.streamBatchRows }
          : cached?.kind === "cold"
            ? "commit"
            : undefined,
      );
      // The cold part of a cold guess starts now, beside the cut. Its start (planning, DuckDB
      // calls) holds this thread for a millisecond or two: it waits for the next turn of the event
      // loop, by which the cut's statements (sent as soon as the pool hands out a connection, in
      // this turn's microtasks) are on their way.
      if (cached?.kind === "cold") {
        // Awaited below; a failure meanwhile must not count as an unhandled rejection.
        opening.catch(() => undefined);
        await new Promise<void>((resolve) => setImmediate(resolve));
        speculation = this.speculativeCold(prepared, cached.route, cached.planOptions, remaining, signal);
      }
      const open = await opening;
      let state: TierState;
      let r: Route;
      let plan: Plan;
      let hot: ResultSet | null = null;
      const refs = new Map<string, ResultSet>();
      try {
        state = await this.tierCache.stateOf(open, cached?.kind === "hot" ? cached.state : null);
        const at = prepared.at(state.nowUs);
        r = routeQuery(at.ranges, state, prepared.addresses);
        const planned = speculation?.planFor(r) ?? planQuery(prepared.node, r, at.planOptions);
        plan = planned;
        await this.faults?.insideCut?.();
        if (open.committed === true && (planned.strategy !== "cold" || planned.refTables.length > 0)) {
          // The tier state moved since it was cached, and the query now needs the cut's transaction
          // (a hot part, lookup tables), which committed already.
          throw STARTS_OVER;
        }
        const tx = open.tx;
        if (planned.strategy === "hot") {
          // The hot route streams from a cursor inside the cut; the transaction ends with the stream.
          // An optimistic cursor is the same statement (the hot SQL does not depend on the tier state).
          const cursor =
            open.cursor ??
            (await tx.cursor(planned.hotSql, {
              rowLimit: this.config.rowLimit,
              batchRows: this.config.streamBatchRows,
              ...(params ? { params } : {}),
            }));
          if (speculation !== null) {
            this.metrics.speculation("discarded");
            await speculation.discard();
          }
          const info = describe(r, planned, state, 0);
          let hotEnd: number | null = null;
          return new QueryStream(cursor, {
            info,
            rowLimit: this.config.rowLimit,
            remaining,
            timings: () => {
              hotEnd ??= performance.now();
              return { hot: round(hotEnd - hotStart), cold: 0, total: round(performance.now() - started) };
            },
            cleanup: async (end) => {
              hotEnd ??= performance.now();
              try {
                await open.end(end.failure instanceof QueryError ? end.failure : undefined);
              } finally {
                await releaseAll();
                this.recordFiles(info, 0);
                this.ended(info.route, end, started);
              }
            },
          });
        }
        if (planned.strategy === "partial-aggregate") {
          hot = await derived(() => tx.query(planned.hotSql, { rowLimit: this.config.hotSliceRowLimit }));
        } else if (planned.strategy === "hot-slice") {
          hot = await derived(() => tx.query(planned.sliceSql, { rowLimit: this.config.hotSliceRowLimit }));
        }
        for (const table of planned.refTables) {
          refs.set(table, await readRef(() => tx.query(refSelectSql(table), { rowLimit: this.config.refRowLimit })));
        }
      } catch (error) {
        const failure = error instanceof QueryError ? error : undefined;
        await open.end(failure ?? new QueryError("internal", "query setup failed")).catch(() => undefined);
        throw error;
      }
      await open.end();
      const hotMs = performance.now() - hotStart;
      const coldPlan = plan as Exclude<Plan, { strategy: "hot" }>;
      const coldStart = performance.now();
      const speculated = (await speculation?.take(coldPlanKey(r, coldPlan), held)) ?? null;
      if (speculation !== null) this.metrics.speculation(speculated === null ? "discarded" : "used");
      const source =
        speculated ?? (await this.openCold(r, coldPlan, hot, refs, prepared.timeZone, remaining, signal, held));
      const hotRows = coldPlan.strategy === "hot-slice" ? (hot?.rows.length ?? 0) : 0;
      const info = describe(r, coldPlan, state, hotRows);
      let coldEnd: number | null = null;
      return new QueryStream(source, {
        info,
        rowLimit: this.config.rowLimit,
        remaining,
        timings: () => {
          coldEnd ??= performance.now();
          return { hot: round(hotMs), cold: round(coldEnd - coldStart), total: round(performance.now() - started) };
        },
        cleanup: async (end) => {
          coldEnd ??= performance.now();
          try {
            await releaseAll();
          } finally {
            this.recordFiles(info, hotRows);
            this.ended(info.route, end, started);
          }
        },
      });
    } catch (error) {
      await speculation?.discard();
      await releaseAll();
      if (error !== STARTS_OVER) throw error;
      this.metrics.speculation("discarded");
      return await this.open(request, started, true);
    }
  }

  /** The cold part of a query the cached tier state routes to the cold tier alone, started now; or null. */
  private speculativeCold(
    prepared: PreparedQuery,
    r: Route,
    planOptions: PlanOptions,
    remaining: () => number,
    signal: AbortSignal | undefined,
  ): ColdSpeculation | null {
    let plan: Plan;
    try {
      plan = planQuery(prepared.node, r, planOptions);
    } catch {
      return null; // The query's own plan, after the cut, reports what is wrong.
    }
    const key = coldPlanKey(r, plan);
    if (key === null || plan.strategy !== "cold") return null;
    const none = new Map<string, ResultSet>();
    return new ColdSpeculation(key, plan, signal, (held, both) =>
      this.openCold(r, plan, null, none, prepared.timeZone, remaining, both, held),
    );
  }

  private recordFiles(info: QueryInfo, hotRows: number): void {
    this.metrics.files(info.filesScanned, info.filesPruned);
    this.metrics.hotRows(hotRows);
  }

  /** Opens the cold part: pinned files, a DuckDB session with `flows` defined, the final query's stream. */
  private async openCold(
    r: Route,
    plan: Exclude<Plan, { strategy: "hot" }>,
    hot: ResultSet | null,
    refs: ReadonlyMap<string, ResultSet>,
    timeZone: string,
    remaining: () => number,
    signal: AbortSignal | undefined,
    held: (() => Promise<void> | void)[],
  ): Promise<RowStream> {
    const locations = r.coldFiles.map((f) => f.path);
    const bytes = r.coldFiles.reduce((sum, f) => sum + ((f as { sizeBytes?: number }).sizeBytes ?? 0), 0);
    const pinned =
      this.cache === null
        ? { paths: locations.map((l) => (l.startsWith("file:") ? fileLocationToPath(l) : l)), release: () => undefined }
        : await this.cache.acquire(locations, bytes);
    held.push(() => pinned.release());
    const s = await this.cold.open(timeZone, signal);
    held.push(() => s.close());
    for (const [table, rows] of refs) await s.loadTable(duckRefName(table), rows);
    if (plan.strategy === "hot-slice") await s.loadHotRows(plan.sliceColumns, hot?.rows ?? []);
    s.defineFlows(pinned.paths, plan.strategy === "hot-slice");
    const final = () => ({ timeoutMs: remaining(), signal, capped: plan.capped });
    if (plan.strategy === "partial-aggregate") {
      await s.createTable(PARTS_TABLE, plan.coldSql, hot ?? EMPTY);
      return await derived(() => s.stream(plan.mergeSql, final()), false);
    }
    return await s.stream(plan.coldSql, final());
  }
}

const EMPTY: ResultSet = { columns: [], rows: [] };

/** Thrown inside `open` when its cut committed in the first round trip but the query needs more of it. */
const STARTS_OVER = new Error("the query starts over with a cut that stays open");

function describe(r: Route, plan: Plan, state: TierState, hotRowsMoved: number): QueryInfo {
  const engines: EngineName[] =
    plan.strategy === "hot" ? ["timescale"] : plan.strategy === "cold" ? ["duckdb"] : ["timescale", "duckdb"];
  const scansCold = plan.strategy !== "hot";
  return {
    route: r.route,
    strategy: plan.strategy,
    engines,
    snapshotId: state.cold?.snapshotId ?? null,
    hotChunks: r.hotChunks.length,
    filesScanned: scansCold ? r.coldFiles.length : 0,
    filesPruned: scansCold ? r.coldFilesPruned : state.coldFiles.length,
    filesPrunedByAddress: scansCold ? (r.coldFilesPrunedByFilter ?? 0) : 0,
    hotRowsMoved,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

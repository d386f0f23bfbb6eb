/**
 * The query gateway: one PostgreSQL query over the hot and cold tiers.
 *
 * Every query: lockdown check → time bounds → (under the concurrency limit)
 * one REPEATABLE READ READ ONLY transaction on the hot database that reads the
 * catalog pointer and the chunk list, routes on those measured ranges, and
 * runs the hot part — the consistent cut — then, after it commits, the cold
 * part in DuckDB over the snapshot that pointer named.
 */
import { fileURLToPath } from "node:url";
import { FileObjectStore, type ObjectStore, S3ObjectStore } from "@netflow/iceberg";
import pino, { type Logger } from "pino";
import type { GatewayConfig } from "./config.ts";
import { DuckDbEngine } from "./engine/duckdb.ts";
import type { EngineName, ResultSet } from "./engine/engine.ts";
import { QueryError } from "./engine/errors.ts";
import { FileCache } from "./engine/file-cache.ts";
import { Limiter } from "./engine/limiter.ts";
import { derived, readRef } from "./engine/limits.ts";
import { GatewayMetrics } from "./engine/metrics.ts";
import { PARTS_TABLE } from "./engine/partial-aggregate.ts";
import { type Plan, planQuery, type Strategy } from "./engine/plan.ts";
import { duckRefName, refSelectSql } from "./engine/ref-tables.ts";
import { TimescaleEngine } from "./engine/timescale.ts";
import { GatewayError, SQLSTATE } from "./errors.ts";
import { type Route, type RouteKind, route } from "./route/route.ts";
import { checkStatement } from "./sql/lockdown.ts";
import { loadSqlParser } from "./sql/parser.ts";
import { timeBoundsOf } from "./sql/time-bounds.ts";
import { isKnownZone } from "./sql/timezone.ts";
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
  readonly hotRowsMoved: number;
}

export interface QueryOutcome {
  readonly result: ResultSet;
  readonly info: QueryInfo;
  readonly timingsMs: { readonly hot: number; readonly cold: number; readonly total: number };
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
    this.hot = new TimescaleEngine({
      url: config.pgUrl,
      poolSize: config.pgPoolSize,
      statementTimeoutMs: config.queryTimeoutMs,
    });
    this.cold = new DuckDbEngine({
      memoryLimit: config.duckdbMemoryLimit,
      threads: config.duckdbThreads,
      allowedDirectories: local ? [fileURLToPath(config.warehouse), config.cacheDir] : [config.cacheDir],
      tempDirectory: `${config.cacheDir}/spill`,
    });
    this.tierReader = new TierReader({ store: this.store, catalogName: config.catalogName, table: config.table });
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

  async query(request: QueryRequest): Promise<QueryOutcome> {
    const started = performance.now();
    let routeTaken: string = "refused";
    try {
      const outcome = await this.execute(request, started);
      routeTaken = outcome.info.route;
      this.metrics.query(routeTaken, "ok", (performance.now() - started) / 1000);
      this.metrics.files(outcome.info.filesScanned, outcome.info.filesPruned);
      this.metrics.hotRows(outcome.info.hotRowsMoved);
      return outcome;
    } catch (error) {
      const kind = error instanceof QueryError || error instanceof GatewayError ? error.kind : "internal";
      this.metrics.query(routeTaken, kind, (performance.now() - started) / 1000);
      if (!(error instanceof QueryError || error instanceof GatewayError) || kind === "internal") {
        this.log.error({ err: error }, "query failed");
      }
      throw error;
    }
  }

  async explain(request: QueryRequest): Promise<ExplainOutcome> {
    const prepared = this.prepare(request);
    const options = { timeZone: prepared.timeZone, timeoutMs: this.config.queryTimeoutMs };
    return await this.hot.cut(options, this.tierReader.statements(), async (_tx, first) => {
      const state = await this.tierReader.fromRows(first);
      const { ranges, planOptions } = prepared.at(state.nowUs);
      const r = route(ranges, state);
      const plan = planQuery(prepared.node, r, planOptions);
      const sql =
        plan.strategy === "hot"
          ? { hot: plan.hotSql }
          : plan.strategy === "cold"
            ? { cold: plan.coldSql }
            : plan.strategy === "partial-aggregate"
              ? { hot: plan.hotSql, cold: plan.coldSql, merge: plan.mergeSql }
              : { hot: plan.sliceSql, cold: plan.coldSql };
      return { info: info(r, plan, state, 0), sql };
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

  private prepare(request: QueryRequest) {
    const timeZone = request.timeZone ?? "UTC";
    if (!isKnownZone(timeZone)) {
      throw new GatewayError("refused", SQLSTATE.invalidParameterValue, `unknown time zone "${timeZone}"`);
    }
    const checked = checkStatement(request.sql, this.config.lockdown);
    if (checked.kind !== "select" && checked.kind !== "explain") {
      throw new GatewayError(
        "refused",
        SQLSTATE.featureNotSupported,
        `${checked.kind.toUpperCase()} statements are not accepted over HTTP: send one query`,
        {
          detail:
            "session statements (SET, SHOW, BEGIN…) belong to the Postgres wire protocol; pass timeZone in the request instead",
        },
      );
    }
    const node = checked.kind === "select" ? checked.node : checked.query;
    const params = request.params;
    // Bounds and plan options at the cut's now(), so routing and every engine agree on the instant.
    const at = (now: bigint) => {
      const ctx = { now, timeZone, ...(params === undefined ? {} : { params }) };
      const ranges = timeBoundsOf(node, ctx, request.sql).union;
      return {
        ranges,
        planOptions: { ...ctx, sql: request.sql, ranges, hotSliceRowLimit: this.config.hotSliceRowLimit },
      };
    };
    // Bounds once up front too: a query whose constants cannot be folded fails here, before any I/O.
    at(BigInt(Date.now()) * 1000n);
    return { node, timeZone, at, explain: checked.kind === "explain" };
  }

  private async execute(request: QueryRequest, started: number): Promise<QueryOutcome> {
    const prepared = this.prepare(request);
    if (prepared.explain) {
      const explained = await this.explain(request);
      const lines = JSON.stringify(explained, null, 2).split("\n");
      return {
        result: { columns: [{ name: "QUERY PLAN", type: "text" }], rows: lines.map((l) => [l]) },
        info: explained.info,
        timingsMs: { hot: 0, cold: 0, total: performance.now() - started },
      };
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
    return await this.limiter.run(async () => {
      const hotStart = performance.now();
      const options = { timeZone: prepared.timeZone, timeoutMs: remaining() };
      const cut = await this.hot.cut(options, this.tierReader.statements(), async (tx, first) => {
        const state = await this.tierReader.fromRows(first);
        const { ranges, planOptions } = prepared.at(state.nowUs);
        const r = route(ranges, state);
        const plan = planQuery(prepared.node, r, planOptions);
        await this.faults?.insideCut?.();
        let hot: ResultSet | null = null;
        if (plan.strategy === "hot") {
          hot = await tx.query(plan.hotSql, { rowLimit: this.config.rowLimit, ...(params ? { params } : {}) });
        } else if (plan.strategy === "partial-aggregate") {
          hot = await derived(() =>
            tx.query(plan.hotSql, { rowLimit: this.config.hotSliceRowLimit, ...(params ? { params } : {}) }),
          );
        } else if (plan.strategy === "hot-slice") {
          hot = await derived(() => tx.query(plan.sliceSql, { rowLimit: this.config.hotSliceRowLimit }));
        }
        const refs = new Map<string, ResultSet>();
        if (plan.strategy !== "hot") {
          for (const table of plan.refTables) {
            refs.set(table, await readRef(() => tx.query(refSelectSql(table), { rowLimit: this.config.refRowLimit })));
          }
        }
        return { state, route: r, plan, hot, refs };
      });
      const hotMs = performance.now() - hotStart;
      const { state, plan, hot } = cut;
      if (plan.strategy === "hot") {
        return this.outcome(cut.route, plan, state, hot ?? EMPTY, 0, { hot: hotMs, cold: 0, started });
      }
      const coldStart = performance.now();
      const result = await this.runCold(cut.route, plan, hot, cut.refs, prepared.timeZone, remaining, signal);
      const hotRows = plan.strategy === "hot-slice" ? (hot?.rows.length ?? 0) : 0;
      return this.outcome(cut.route, plan, state, result, hotRows, {
        hot: hotMs,
        cold: performance.now() - coldStart,
        started,
      });
    });
  }

  private async runCold(
    r: Route,
    plan: Exclude<Plan, { strategy: "hot" }>,
    hot: ResultSet | null,
    refs: ReadonlyMap<string, ResultSet>,
    timeZone: string,
    remaining: () => number,
    signal: AbortSignal | undefined,
  ): Promise<ResultSet> {
    const locations = r.coldFiles.map((f) => f.path);
    const bytes = r.coldFiles.reduce((sum, f) => sum + ((f as { sizeBytes?: number }).sizeBytes ?? 0), 0);
    const pinned =
      this.cache === null
        ? { paths: locations.map((l) => (l.startsWith("file:") ? fileURLToPath(l) : l)), release: () => undefined }
        : await this.cache.acquire(locations, bytes);
    try {
      return await this.cold.session(
        timeZone,
        async (s) => {
          for (const [table, rows] of refs) await s.loadTable(duckRefName(table), rows);
          if (plan.strategy === "hot-slice") await s.loadHotRows(plan.sliceColumns, hot?.rows ?? []);
          await s.defineFlows(pinned.paths, plan.strategy === "hot-slice");
          if (plan.strategy === "partial-aggregate") {
            await s.createTable(PARTS_TABLE, plan.coldSql, hot ?? EMPTY);
            return await derived(
              () => s.query(plan.mergeSql, { rowLimit: this.config.rowLimit, timeoutMs: remaining(), signal }),
              false,
            );
          }
          return await s.query(plan.coldSql, { rowLimit: this.config.rowLimit, timeoutMs: remaining(), signal });
        },
        signal,
      );
    } finally {
      pinned.release();
    }
  }

  private outcome(
    r: Route,
    plan: Plan,
    state: TierState,
    result: ResultSet,
    hotRows: number,
    t: { hot: number; cold: number; started: number },
  ): QueryOutcome {
    return {
      result,
      info: info(r, plan, state, hotRows),
      timingsMs: { hot: round(t.hot), cold: round(t.cold), total: round(performance.now() - t.started) },
    };
  }
}

const EMPTY: ResultSet = { columns: [], rows: [] };

function info(r: Route, plan: Plan, state: TierState, hotRowsMoved: number): QueryInfo {
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
    hotRowsMoved,
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * The gateway as the benchmark uses it: only through its public API (the Gateway object and
 * its HTTP app from @netflow/query-gateway), so this file is the one place to adapt if that
 * API changes. Limits are raised above the defaults so year-long scans and per-minute series
 * over months are measured rather than refused.
 */
import { createApp, type ExplainOutcome, Gateway, gatewayConfig, type QueryInfo } from "@netflow/query-gateway";

const TOKEN = "bench-gateway-token";

export interface GatewayRun {
  readonly rows: number;
  readonly info: QueryInfo;
  /** The gateway's own breakdown: the consistent-cut transaction (tier state + hot part), the cold part, total. */
  readonly timingsMs: { readonly hot: number; readonly cold: number; readonly total: number };
}

export class BenchGateway {
  readonly gateway: Gateway;
  private readonly app: ReturnType<typeof createApp>;

  constructor(
    readerUrl: string,
    warehouse: string,
    cacheDir: string,
    table: { readonly namespace: readonly string[]; readonly name: string },
    readonly duckdb: { readonly threads: number; readonly memoryLimit: string },
  ) {
    this.gateway = new Gateway(
      gatewayConfig({
        pgUrl: readerUrl,
        warehouse,
        cacheDir,
        table,
        tokens: [TOKEN],
        queryTimeoutMs: 600_000,
        rowLimit: 1_000_000,
        hotSliceRowLimit: 5_000_000,
        duckdbThreads: duckdb.threads,
        duckdbMemoryLimit: duckdb.memoryLimit,
        pgPoolSize: 2,
      }),
    );
    this.app = createApp(this.gateway, { tokens: [TOKEN] });
  }

  start(): Promise<void> {
    return this.gateway.start();
  }

  stop(): Promise<void> {
    return this.gateway.stop();
  }

  async query(sql: string): Promise<GatewayRun> {
    const outcome = await this.gateway.query({ sql, timeZone: "UTC" });
    return { rows: outcome.result.rows.length, info: outcome.info, timingsMs: outcome.timingsMs };
  }

  /** The first row of a query, for picking values out of the data. */
  async firstRow(sql: string): Promise<readonly (string | number | boolean | null)[]> {
    const outcome = await this.gateway.query({ sql, timeZone: "UTC" });
    const row = outcome.result.rows[0];
    if (row === undefined) throw new Error(`no rows for: ${sql}`);
    return row;
  }

  explain(sql: string): Promise<ExplainOutcome> {
    return this.gateway.explain({ sql, timeZone: "UTC" });
  }

  /** POST /api/query in-process (Hono app.request): routing, lockdown, JSON encoding, auth. Returns bytes read. */
  async http(sql: string): Promise<number> {
    const response = await this.app.request("/api/query", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ sql, format: "json" }),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body.slice(0, 500)}`);
    return body.length;
  }
}

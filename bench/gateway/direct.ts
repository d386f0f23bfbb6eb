/**
 * The baselines the gateway is compared with, queried directly:
 * - DuckDB over the same local Parquet files (every data file of the warehouse by glob, as a
 *   user pointing DuckDB at the table's data directory would), same threads and memory limit
 *   as the gateway's DuckDB, running the gateway's DuckDB translation of the query;
 * - TimescaleDB over a plain pg connection as the read-only role, running the original query.
 */
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { FLOW_COLUMNS } from "@netflow/schema";
import pg from "pg";

export class DirectDuckDb {
  private instance: DuckDBInstance | undefined;
  private connection: DuckDBConnection | undefined;

  constructor(
    private readonly tableDir: string,
    private readonly settings: { readonly threads: number; readonly memoryLimit: string },
  ) {}

  async start(): Promise<void> {
    this.instance = await DuckDBInstance.create(":memory:", {
      threads: String(this.settings.threads),
      memory_limit: this.settings.memoryLimit,
    });
    this.connection = await this.instance.connect();
    const glob = join(this.tableDir, "data", "*", "*.parquet").replace(/'/g, "''");
    const columns = FLOW_COLUMNS.map((c) => `"${c.name}"`).join(", ");
    await this.connection.run(
      `CREATE VIEW flows AS SELECT ${columns} FROM read_parquet('${glob}', hive_partitioning = false)`,
    );
  }

  /** Runs `sql` in `timeZone`; returns the row count (results are read fully, as the gateway reads them). */
  async query(sql: string, timeZone: string): Promise<number> {
    if (this.connection === undefined) throw new Error("direct duckdb is not started");
    await this.connection.run(`SET TimeZone = '${timeZone.replace(/'/g, "''")}'`);
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRows().length;
  }

  async stop(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
  }
}

export class DirectTimescale {
  private client: pg.Client | undefined;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    this.client = new pg.Client({ connectionString: this.url });
    await this.client.connect();
    await this.client.query("SET TimeZone = 'UTC'");
  }

  async query(sql: string): Promise<number> {
    if (this.client === undefined) throw new Error("direct timescale is not started");
    return (await this.client.query(sql)).rows.length;
  }

  async stop(): Promise<void> {
    await this.client?.end();
  }
}

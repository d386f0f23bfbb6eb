/** Shared services and data for the interop tests: a real Postgres catalog and SeaweedFS S3. */
import pg from "pg";
import type { TableIdentifier } from "../catalog/catalog.ts";
import { pgQuery, SqlCatalog } from "../catalog/sql-catalog.ts";
import { S3ObjectStore } from "../io/s3-store.ts";
import type { JsonObject, JsonValue } from "../json/exact-json.ts";
import type { TableContext } from "../table/table.ts";
import { startTestPostgres, type TestPostgres } from "../testing/postgres.ts";
import { runPythonScript } from "../testing/python.ts";
import { type SeaweedServer, startSeaweed } from "../testing/seaweed.ts";

export interface Env {
  readonly pgServer: TestPostgres;
  readonly seaweed: SeaweedServer;
  readonly pool: pg.Pool;
  readonly store: S3ObjectStore;
  readonly catalog: SqlCatalog;
  readonly ctx: TableContext;
  readonly s3Args: JsonObject;
  readonly catalogUri: string;
  stop(): Promise<void>;
}

export const CATALOG_NAME = "netflow";

export async function startEnv(): Promise<Env> {
  const [pgServer, seaweed] = await Promise.all([startTestPostgres(), startSeaweed({ buckets: ["warehouse"] })]);
  const pool = new pg.Pool({ connectionString: pgServer.url, max: 4 });
  // Idle clients see the server's shutdown at stop(); that is expected, not a test failure.
  pool.on("error", () => undefined);
  const catalog = new SqlCatalog({ name: CATALOG_NAME, query: pgQuery(pool) });
  await catalog.initialize();
  const store = new S3ObjectStore({
    endpoint: seaweed.endpoint,
    accessKeyId: seaweed.accessKeyId,
    secretAccessKey: seaweed.secretAccessKey,
  });
  return {
    pgServer,
    seaweed,
    pool,
    store,
    catalog,
    ctx: { catalog, store },
    s3Args: { endpoint: seaweed.endpoint, access_key: seaweed.accessKeyId, secret_key: seaweed.secretAccessKey },
    catalogUri: pgServer.url.replace("postgres://", "postgresql+psycopg2://"),
    async stop() {
      store.close();
      await pool.end();
      await Promise.all([pgServer.stop(), seaweed.stop()]);
    },
  };
}

export interface ScanOutput {
  readonly columns: string[];
  readonly rows: JsonValue[];
  readonly files: number;
}

export interface ReaderOutput extends ScanOutput {
  readonly snapshots: string[];
  /** One per requested read when `reads` was given. */
  readonly results: ScanOutput[];
}

/** Reads a table through PyIceberg's SqlCatalog on our Postgres (optionally at a snapshot). */
export async function pyicebergRead(
  env: Env,
  id: TableIdentifier,
  opts: {
    snapshotId?: bigint;
    catalogName?: string;
    rowFilter?: string;
    reads?: { snapshotId?: bigint; rowFilter?: string }[];
  } = {},
): Promise<ReaderOutput> {
  const out = (await runPythonScript("pyiceberg_read.py", {
    catalog_uri: env.catalogUri,
    catalog_name: opts.catalogName ?? CATALOG_NAME,
    table: [...id.namespace, id.name].join("."),
    s3: env.s3Args,
    ...(opts.snapshotId !== undefined ? { snapshot_id: opts.snapshotId.toString() } : {}),
    ...(opts.rowFilter ? { row_filter: opts.rowFilter } : {}),
    ...(opts.reads
      ? {
          reads: opts.reads.map((r) => ({
            ...(r.snapshotId !== undefined ? { snapshot_id: r.snapshotId.toString() } : {}),
            ...(r.rowFilter ? { row_filter: r.rowFilter } : {}),
          })),
        }
      : {}),
  })) as JsonObject;
  return out as unknown as ReaderOutput;
}

export async function duckdbRead(
  env: Env,
  metadataLocation: string,
): Promise<{ version: string; columns: string[]; rows: JsonValue[] }> {
  return (await runPythonScript("duckdb_read.py", {
    metadata_location: metadataLocation,
    s3: env.s3Args,
  })) as unknown as {
    version: string;
    columns: string[];
    rows: JsonValue[];
  };
}

export interface TableRead {
  readonly id: TableIdentifier;
  readonly reads: { snapshotId?: bigint; rowFilter?: string }[];
}

/** Several tables, several scans each, in one PyIceberg process. */
export async function pyicebergReadMany(env: Env, tables: readonly TableRead[]): Promise<ReaderOutput[]> {
  const out = (await runPythonScript("pyiceberg_read.py", {
    catalog_uri: env.catalogUri,
    catalog_name: CATALOG_NAME,
    s3: env.s3Args,
    tables: tables.map((t) => ({
      table: [...t.id.namespace, t.id.name].join("."),
      reads: t.reads.map((r) => ({
        ...(r.snapshotId !== undefined ? { snapshot_id: r.snapshotId.toString() } : {}),
        ...(r.rowFilter ? { row_filter: r.rowFilter } : {}),
      })),
    })),
  })) as unknown as { tables: ReaderOutput[] };
  return out.tables;
}

/** Several tables in one DuckDB process. */
export async function duckdbReadMany(
  env: Env,
  metadataLocations: readonly string[],
): Promise<{ version: string; rows: JsonValue[] }[]> {
  const out = (await runPythonScript("duckdb_read.py", {
    metadata_locations: [...metadataLocations],
    s3: env.s3Args,
  })) as unknown as {
    tables: { version: string; rows: JsonValue[] }[];
  };
  return out.tables;
}

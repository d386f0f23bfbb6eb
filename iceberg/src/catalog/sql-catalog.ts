/**
 * Iceberg SQL catalog on Postgres, with PyIceberg SqlCatalog's tables and
 * semantics: one row per table in `iceberg_tables`, namespace properties in
 * `iceberg_namespace_properties`, and commit = UPDATE … WHERE
 * metadata_location = <expected> affecting exactly one row.
 *
 * It takes a tiny query function instead of a driver, so any Postgres client
 * (pg Pool, a transaction's client, PGlite) works; see `pgQuery`.
 */
import { readFileSync } from "node:fs";
import { IcebergError } from "../errors.ts";
import type { Catalog, TableIdentifier } from "./catalog.ts";

export interface QueryResult {
  readonly rows: readonly Record<string, unknown>[];
  /** Rows affected by INSERT/UPDATE/DELETE. */
  readonly rowCount: number | null;
}

/** Runs one parameterized statement ($1, $2, ...). */
export type QueryFn = (sql: string, params?: readonly unknown[]) => Promise<QueryResult>;

/** Adapts anything with pg's `query(text, values)` shape (pg.Pool, pg.Client, PoolClient). */
export function pgQuery(client: {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}): QueryFn {
  return async (sql, params) => {
    const r = await client.query(sql, params ? [...params] : undefined);
    return { rows: r.rows, rowCount: r.rowCount };
  };
}

const sqlFile = (name: string): string => readFileSync(new URL(`./sql/${name}`, import.meta.url), "utf8");
const SCHEMA_SQL = sqlFile("schema.sql");
const COMMIT_SQL = sqlFile("commit-table.sql");

export interface SqlCatalogConfig {
  /** The `catalog_name` column value; PyIceberg uses the catalog's configured name. Default "default". */
  readonly name?: string;
  readonly query: QueryFn;
}

export class SqlCatalog implements Catalog {
  readonly name: string;
  private readonly q: QueryFn;

  constructor(config: SqlCatalogConfig) {
    this.name = config.name ?? "default";
    this.q = config.query;
  }

  /** Creates the catalog tables if they do not exist (idempotent). */
  async initialize(): Promise<void> {
    for (const stmt of SCHEMA_SQL.split(";")
      .map((s) => s.trim())
      .filter((s) => s.replace(/--.*$/gm, "").trim() !== ""))
      await this.run(stmt);
  }

  private async run(sql: string, params?: readonly unknown[]): Promise<QueryResult> {
    try {
      return await this.q(sql, params);
    } catch (e) {
      if (e instanceof IcebergError) throw e;
      const code = (e as { code?: string }).code;
      // Serialization failures and connection loss are worth retrying; constraint errors are not.
      const retryable =
        code === "40001" || code === "40P01" || code === "57P01" || code === "08006" || code === "08003";
      throw new IcebergError("catalog", `catalog query failed: ${(e as Error).message}`, { cause: e, retryable });
    }
  }

  async createNamespace(
    namespace: readonly string[],
    properties: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const ns = namespace.join(".");
    // PyIceberg marks a namespace without properties with exists=true.
    const props = Object.keys(properties).length === 0 ? { exists: "true" } : properties;
    for (const [k, v] of Object.entries(props))
      await this.run(
        "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [this.name, ns, k, v],
      );
  }

  async namespaceExists(namespace: readonly string[]): Promise<boolean> {
    const ns = namespace.join(".");
    const r = await this.run(
      "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = $1 AND namespace = $2 UNION ALL SELECT 1 FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 LIMIT 1",
      [this.name, ns],
    );
    return r.rows.length > 0;
  }

  async listNamespaces(): Promise<string[][]> {
    const r = await this.run(
      "SELECT namespace AS ns FROM iceberg_namespace_properties WHERE catalog_name = $1 UNION SELECT table_namespace FROM iceberg_tables WHERE catalog_name = $1 ORDER BY 1",
      [this.name],
    );
    return r.rows.map((row) => String(row.ns).split("."));
  }

  async listTables(namespace: readonly string[]): Promise<TableIdentifier[]> {
    const r = await this.run(
      "SELECT table_name FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 ORDER BY table_name",
      [this.name, namespace.join(".")],
    );
    return r.rows.map((row) => ({ namespace: [...namespace], name: String(row.table_name) }));
  }

  async loadTable(id: TableIdentifier): Promise<string> {
    const r = await this.run(
      "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3",
      [this.name, id.namespace.join("."), id.name],
    );
    const loc = r.rows[0]?.metadata_location;
    if (typeof loc !== "string")
      throw new IcebergError("no-such-table", `table ${[...id.namespace, id.name].join(".")} does not exist`);
    return loc;
  }

  async createTable(id: TableIdentifier, metadataLocation: string): Promise<void> {
    if (!(await this.namespaceExists(id.namespace)))
      throw new IcebergError("no-such-namespace", `namespace ${id.namespace.join(".")} does not exist`);
    const r = await this.run(
      "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location) VALUES ($1, $2, $3, $4, NULL) ON CONFLICT DO NOTHING",
      [this.name, id.namespace.join("."), id.name, metadataLocation],
    );
    if (r.rowCount !== 1)
      throw new IcebergError("table-exists", `table ${[...id.namespace, id.name].join(".")} already exists`);
  }

  async commitTable(id: TableIdentifier, expected: string, next: string): Promise<void> {
    const r = await this.run(COMMIT_SQL, [this.name, id.namespace.join("."), id.name, next, expected]);
    if (r.rowCount === 1) return;
    if (r.rowCount === 0) {
      // Distinguish "pointer moved" (retry on the new base) from "table gone".
      await this.loadTable(id);
      throw new IcebergError("commit-conflict", `table ${id.name} was changed concurrently (expected ${expected})`, {
        retryable: true,
      });
    }
    throw new IcebergError("catalog", `commit updated ${r.rowCount} rows; the catalog table is inconsistent`);
  }

  async dropTable(id: TableIdentifier): Promise<void> {
    const r = await this.run(
      "DELETE FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3",
      [this.name, id.namespace.join("."), id.name],
    );
    if (r.rowCount !== 1) throw new IcebergError("no-such-table", `table ${id.name} does not exist`);
  }
}

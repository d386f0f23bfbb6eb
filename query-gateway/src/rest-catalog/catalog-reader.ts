/**
 * Reads the Iceberg SQL catalog (tables `iceberg_tables` and
 * `iceberg_namespace_properties` in the hot database, migration 0004) on the
 * read-only role, for the REST catalog. Namespaces are stored dot-joined.
 */
import pg from "pg";

export interface CatalogTable {
  readonly namespace: readonly string[];
  readonly name: string;
  readonly metadataLocation: string | null;
}

export class CatalogReader {
  private pool: pg.Pool | undefined;

  constructor(private readonly config: { readonly url: string; readonly catalogName: string }) {}

  async start(): Promise<void> {
    this.pool = new pg.Pool({ connectionString: this.config.url, max: 2 });
    this.pool.on("error", () => undefined);
  }

  async stop(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  private async rows<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
    if (this.pool === undefined) throw new Error("catalog reader is not started");
    return (await this.pool.query<T>(sql, params)).rows;
  }

  /** Every namespace that holds a table or has properties. */
  async namespaces(): Promise<string[][]> {
    const rows = await this.rows<{ ns: string }>(
      "SELECT table_namespace AS ns FROM iceberg_tables WHERE catalog_name = $1 UNION SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = $1 ORDER BY 1",
      [this.config.catalogName],
    );
    return rows.map((r) => r.ns.split("."));
  }

  /** The namespace's properties, or undefined when it does not exist. */
  async namespace(ns: readonly string[]): Promise<Record<string, string> | undefined> {
    const name = ns.join(".");
    const props = await this.rows<{ k: string; v: string | null }>(
      "SELECT property_key AS k, property_value AS v FROM iceberg_namespace_properties WHERE catalog_name = $1 AND namespace = $2",
      [this.config.catalogName, name],
    );
    const properties: Record<string, string> = {};
    for (const p of props) if (p.k !== "exists") properties[p.k] = p.v ?? "";
    if (props.length > 0) return properties;
    return (await this.tables(ns)).length > 0 ? properties : undefined;
  }

  async tables(ns: readonly string[]): Promise<CatalogTable[]> {
    const rows = await this.rows<{ name: string; location: string | null }>(
      "SELECT table_name AS name, metadata_location AS location FROM iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND (iceberg_type IS NULL OR iceberg_type = 'TABLE') ORDER BY 1",
      [this.config.catalogName, ns.join(".")],
    );
    return rows.map((r) => ({ namespace: ns, name: r.name, metadataLocation: r.location }));
  }

  async table(ns: readonly string[], name: string): Promise<CatalogTable | undefined> {
    return (await this.tables(ns)).find((t) => t.name === name);
  }
}

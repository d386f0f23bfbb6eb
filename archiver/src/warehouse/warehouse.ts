/**
 * The cold side as the archiver sees it: the object store for the warehouse
 * URL, the SQL catalog in the hot database, and the `netflow.flows` table
 * (created on first use with the schema, day(ts) partitioning and ts sort
 * order derived from the flow-column catalog).
 */
import {
  createTable,
  FileObjectStore,
  flowPartitionSpec,
  flowSortOrder,
  flowTableSchema,
  isIcebergError,
  type LoadedTable,
  loadTable,
  type ObjectStore,
  pgQuery,
  type QueryFn,
  S3ObjectStore,
  SqlCatalog,
  type TableContext,
  type TableIdentifier,
} from "@netflow/iceberg";
import type { ArchiverConfig } from "../config.ts";

export const CATALOG_NAME = "netflow";
export const FLOWS_TABLE: TableIdentifier = { namespace: ["netflow"], name: "flows" };

export function objectStoreFor(config: Pick<ArchiverConfig, "warehouse" | "s3">): ObjectStore {
  if (config.warehouse.startsWith("file://")) return new FileObjectStore();
  const s3 = config.s3;
  if (!s3) throw new Error("an s3:// warehouse needs S3 settings");
  return new S3ObjectStore({
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
}

export function tableLocation(warehouse: string): string {
  return `${warehouse.replace(/\/+$/, "")}/netflow/flows`;
}

/** The SQL catalog on any query function (a pool, or the client of an open transaction). */
export function sqlCatalog(query: QueryFn): SqlCatalog {
  return new SqlCatalog({ name: CATALOG_NAME, query });
}

export function tableContext(store: ObjectStore, query: QueryFn): TableContext {
  return { catalog: sqlCatalog(query), store };
}

export { pgQuery };

/** Loads netflow.flows, creating the namespace and table when they do not exist yet. */
export async function ensureFlowsTable(ctx: TableContext, warehouse: string): Promise<LoadedTable> {
  try {
    return await loadTable(ctx, FLOWS_TABLE);
  } catch (e) {
    if (!isIcebergError(e, "no-such-table")) throw e;
  }
  if (!(await ctx.catalog.namespaceExists(FLOWS_TABLE.namespace)))
    await ctx.catalog.createNamespace(FLOWS_TABLE.namespace);
  try {
    return await createTable(ctx, FLOWS_TABLE, {
      schema: flowTableSchema(),
      spec: flowPartitionSpec(),
      sortOrder: flowSortOrder(),
      location: tableLocation(warehouse),
    });
  } catch (e) {
    // Another worker created it first.
    if (isIcebergError(e, "table-exists")) return await loadTable(ctx, FLOWS_TABLE);
    throw e;
  }
}

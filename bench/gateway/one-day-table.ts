/**
 * A second Iceberg table, `netflow.bench_day_<yyyymmdd>`, holding only one day of the flows
 * table — the very same data files, appended by reference — so "a 1-day query over a
 * year-long table" can be compared with "the same query over a table of just that day"
 * through a second gateway configured for that table. Created once, reused afterwards.
 */
import {
  createTable,
  currentSnapshot,
  FileObjectStore,
  fastAppend,
  flowPartitionSpec,
  flowSortOrder,
  flowTableSchema,
  isIcebergError,
  liveEntries,
  loadTable,
  pgQuery,
  SqlCatalog,
  type TableContext,
  type TableIdentifier,
} from "@netflow/iceberg";
import pg from "pg";
import { DAY_MS } from "./config.ts";

export async function ensureOneDayTable(
  superUrl: string,
  warehouse: string,
  dayStartMs: number,
): Promise<TableIdentifier> {
  const day = new Date(dayStartMs).toISOString().slice(0, 10).replace(/-/g, "");
  const id: TableIdentifier = { namespace: ["netflow"], name: `bench_day_${day}` };
  const pool = new pg.Pool({ connectionString: superUrl, max: 2 });
  pool.on("error", () => undefined);
  const ctx: TableContext = {
    catalog: new SqlCatalog({ name: "netflow", query: pgQuery(pool) }),
    store: new FileObjectStore(),
  };
  try {
    try {
      const existing = await loadTable(ctx, id);
      if (currentSnapshot(existing.metadata) !== undefined) return id;
    } catch (e) {
      if (!isIcebergError(e, "no-such-table")) throw e;
      await createTable(ctx, id, {
        schema: flowTableSchema(),
        spec: flowPartitionSpec(),
        sortOrder: flowSortOrder(),
        location: `${warehouse}/netflow/${id.name}`,
      });
    }
    const flows = await loadTable(ctx, { namespace: ["netflow"], name: "flows" });
    const dayNumber = dayStartMs / DAY_MS;
    const entries = await liveEntries(ctx.store, flows.metadata, currentSnapshot(flows.metadata));
    const files = entries.map((e) => e.dataFile).filter((f) => Number(f.partition[0]) === dayNumber);
    if (files.length === 0) throw new Error(`the flows table has no data file for ${day}`);
    await fastAppend(ctx, id, files, { summary: { "netflow.bench": "one-day copy of netflow.flows" } });
    return id;
  } finally {
    await pool.end();
  }
}

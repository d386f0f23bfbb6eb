/** Writes Arrow data as data files for a loaded table (its current schema, default spec and sort order). */
import type * as A from "apache-arrow";
import type { DataFile } from "../manifest/data-file.ts";
import { currentSchema, defaultSortOrder, defaultSpec } from "../spec/metadata.ts";
import { DataFileWriter, type DataFileWriterOptions } from "../write/data-file-writer.ts";
import type { LoadedTable, TableContext } from "./table.ts";

export type WriteOptions = Pick<
  DataFileWriterOptions,
  "targetFileSizeBytes" | "rowGroupRows" | "filePrefix" | "clusterTiesBy"
>;

export function tableWriter(ctx: TableContext, table: LoadedTable, options: WriteOptions = {}): DataFileWriter {
  const m = table.metadata;
  const target =
    options.targetFileSizeBytes ?? Number(m.properties["write.target-file-size-bytes"] ?? 256 * 1024 * 1024);
  return new DataFileWriter({
    store: ctx.store,
    schema: currentSchema(m),
    spec: defaultSpec(m),
    sortOrder: defaultSortOrder(m),
    dataLocation: `${m.location}/data`,
    ...options,
    targetFileSizeBytes: target,
  });
}

/** Writes every batch and returns the finished files; on failure the written files are deleted. */
export async function writeDataFiles(
  ctx: TableContext,
  table: LoadedTable,
  batches: Iterable<A.RecordBatch | A.Table> | AsyncIterable<A.RecordBatch | A.Table>,
  options: WriteOptions = {},
): Promise<DataFile[]> {
  const w = tableWriter(ctx, table, options);
  try {
    for await (const b of batches) await w.write(b);
    return await w.close();
  } catch (e) {
    await w.abort();
    throw e;
  }
}

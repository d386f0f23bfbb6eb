/**
 * Compaction: when a day partition has more than `minFiles` data files
 * (late-flow appends, small chunks), its files are merged into files of the
 * target size, sorted by ts, and swapped in with a `replace` snapshot. DuckDB
 * reads the old files (streamed, in ts order), the iceberg writer writes the
 * new ones, and the checksum of old and new files must be equal before the
 * swap, so compaction can never change query results.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import {
  currentSnapshot,
  type DataFile,
  FLOW_TIE_COLUMNS,
  liveEntries,
  loadTable,
  replaceFiles,
  type TableContext,
  tableWriter,
} from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import { rowsToRecordBatch } from "../archive/arrow-batch.ts";
import { verifyFiles, withLocalFiles } from "../archive/verify.ts";
import { ArchiverError } from "../errors.ts";
import { checksumEquals, formatChecksum } from "../hash/row-hash.ts";
import { FLOWS_TABLE } from "../warehouse/warehouse.ts";

export interface CompactResult {
  readonly partitions: number;
  readonly filesRemoved: number;
  readonly filesAdded: number;
}

const BATCH_ROWS = 50_000;

function textExpr(c: (typeof FLOW_COLUMNS)[number]): string {
  const ref = `"${c.name}"`;
  switch (c.icebergType) {
    case "timestamptz":
      return `CAST(epoch_us(${ref}) AS VARCHAR)`;
    case "binary":
      return `lower(hex(${ref}))`;
    case "boolean":
      return `CASE WHEN ${ref} THEN 't' ELSE 'f' END`;
    default:
      return `CAST(${ref} AS VARCHAR)`;
  }
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export async function compactPartitions(
  ctx: TableContext,
  o: { minFiles: number; targetFileBytes: number },
): Promise<CompactResult> {
  const table = await loadTable(ctx, FLOWS_TABLE);
  const live = await liveEntries(ctx.store, table.metadata, currentSnapshot(table.metadata));
  const byPartition = new Map<string, DataFile[]>();
  for (const e of live) {
    const key = JSON.stringify(e.dataFile.partition.map((v) => String(v)));
    byPartition.set(key, [...(byPartition.get(key) ?? []), e.dataFile]);
  }
  let partitions = 0;
  let filesRemoved = 0;
  let filesAdded = 0;
  for (const files of byPartition.values()) {
    if (files.length <= o.minFiles) continue;
    const locations = files.map((f) => f.filePath);
    const written = await withLocalFiles(ctx.store, locations, async (paths) => {
      const writer = tableWriter(ctx, table, {
        targetFileSizeBytes: o.targetFileBytes,
        clusterTiesBy: FLOW_TIE_COLUMNS,
      });
      const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
      try {
        const conn = await instance.connect();
        const result = await conn.stream(
          `SELECT ${FLOW_COLUMNS.map(textExpr).join(", ")} FROM read_parquet([${paths.map(sqlString).join(", ")}]) ORDER BY ts`,
        );
        let rows: (string | null)[][] = [];
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          for (const r of chunk.getRows()) rows.push(r.map((v) => (v === null ? null : String(v))));
          if (rows.length >= BATCH_ROWS) {
            await writer.write(rowsToRecordBatch(rows, "hex"));
            rows = [];
          }
        }
        if (rows.length > 0) await writer.write(rowsToRecordBatch(rows, "hex"));
        conn.closeSync();
        return await writer.close();
      } catch (e) {
        await writer.abort();
        throw e;
      } finally {
        instance.closeSync();
      }
    });
    try {
      const [oldSum, newSum] = [
        await verifyFiles(ctx.store, locations),
        await verifyFiles(
          ctx.store,
          written.map((f) => f.filePath),
        ),
      ];
      if (!checksumEquals(oldSum, newSum))
        throw new ArchiverError(
          "verify-mismatch",
          `compaction changed rows: ${formatChecksum(oldSum)} → ${formatChecksum(newSum)}`,
          {
            retryable: false,
          },
        );
      await replaceFiles(ctx, FLOWS_TABLE, locations, written);
    } catch (e) {
      for (const f of written) await ctx.store.delete(f.filePath).catch(() => {});
      throw e;
    }
    partitions++;
    filesRemoved += files.length;
    filesAdded += written.length;
  }
  return { partitions, filesRemoved, filesAdded };
}

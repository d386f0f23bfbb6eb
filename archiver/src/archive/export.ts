/**
 * Streams one chunk's rows into Iceberg data files. The chunk's time range is
 * cut into windows expected to hold about `batchRows` rows; each window is one
 * SELECT (its own short transaction — on the embedded engine a transaction
 * blocks every other client), converted to an Arrow batch and handed to the
 * Iceberg writer, which encodes and uploads while the next window is read.
 * Every row also gets its canonical hash computed by Postgres in the same
 * SELECT, so the chunk's checksum costs no second scan.
 *
 * The windows read the chunk in separate transactions; that they saw one
 * consistent state is proven at commit time by the unchanged chunk
 * fingerprint (any write in between changes it).
 */
import { type DataFile, type LoadedTable, type TableContext, tableWriter } from "@netflow/iceberg";
import { FLOW_COLUMNS, type FlowColumn } from "@netflow/schema";
import type pg from "pg";
import { fault } from "../faults.ts";
import { type Checksum, pgRowHashExpr } from "../hash/row-hash.ts";
import { rowsToRecordBatch } from "./arrow-batch.ts";

export interface ExportOptions {
  readonly batchRows: number;
  readonly targetFileSizeBytes: number;
  readonly rowGroupRows: number;
  /** Upper bound of the chunk's row count, used to size the windows. */
  readonly estimatedRows: number;
  readonly onProgress?: (rows: number) => void;
}

export interface ExportResult {
  readonly files: DataFile[];
  /** Computed by Postgres over the exported rows. */
  readonly checksum: Checksum;
  readonly bytesWritten: number;
  readonly batches: number;
  /** Milliseconds waiting for Postgres, converting to Arrow, and encoding + uploading. */
  readonly readMs: number;
  readonly convertMs: number;
  readonly writeMs: number;
}

const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: () => (v: string) => v };

function exportExpr(c: FlowColumn): string {
  const ref = `"${c.name}"`;
  if (c.pgType === "timestamptz") return `(extract(epoch FROM ${ref}) * 1000000)::bigint`;
  if (c.pgType === "inet") return `host(${ref})`;
  return ref;
}

export function exportQuery(relation: string): string {
  return `SELECT ${FLOW_COLUMNS.map(exportExpr).join(", ")}, ${pgRowHashExpr()}
FROM ${relation}
WHERE ts >= 'epoch'::timestamptz + $1::bigint * interval '1 microsecond'
  AND ts < 'epoch'::timestamptz + $2::bigint * interval '1 microsecond'
LIMIT $3`;
}

type Row = (string | null)[];

export async function exportChunk(
  pool: pg.Pool,
  ctx: TableContext,
  table: LoadedTable,
  chunk: { relation: string; rangeStart: Date; rangeEnd: Date },
  o: ExportOptions,
): Promise<ExportResult> {
  const sql = exportQuery(chunk.relation);
  const start = BigInt(chunk.rangeStart.getTime()) * 1000n;
  const end = BigInt(chunk.rangeEnd.getTime()) * 1000n;
  const windows = BigInt(Math.max(1, Math.ceil(o.estimatedRows / o.batchRows)));
  const step = (end - start + windows - 1n) / windows;
  // A window may hold up to 4× the expected rows (skew); beyond, it is split.
  const cap = o.batchRows * 4;
  const hashIndex = FLOW_COLUMNS.length;
  const t = { readMs: 0, convertMs: 0, writeMs: 0 };

  const fetch = async (lo: bigint, hi: bigint): Promise<Row[][]> => {
    const t0 = performance.now();
    const limit = hi - lo <= 1n ? null : cap + 1;
    const r = await pool.query<Row>({ text: sql, values: [lo.toString(), hi.toString(), limit], rowMode: "array", types: RAW_TEXT });
    t.readMs += performance.now() - t0;
    if (limit !== null && r.rows.length > cap) {
      const mid = lo + (hi - lo) / 2n;
      return [...(await fetch(lo, mid)), ...(await fetch(mid, hi))];
    }
    return [r.rows];
  };

  const writer = tableWriter(ctx, table, { targetFileSizeBytes: o.targetFileSizeBytes, rowGroupRows: o.rowGroupRows });
  let count = 0n;
  let sum = 0n;
  let batches = 0;
  try {
    let lo = start;
    let pending: Promise<Row[][]> | undefined = fetch(lo, lo + step < end ? lo + step : end);
    while (pending) {
      const parts = await pending;
      lo += step;
      // Read the next window while this one is encoded and uploaded.
      pending = lo < end ? fetch(lo, lo + step < end ? lo + step : end) : undefined;
      pending?.catch(() => {});
      for (const rows of parts) {
        if (rows.length === 0) continue;
        const t0 = performance.now();
        for (const row of rows) sum += BigInt(row[hashIndex] as string);
        count += BigInt(rows.length);
        const batch = rowsToRecordBatch(rows);
        const t1 = performance.now();
        t.convertMs += t1 - t0;
        await writer.write(batch);
        t.writeMs += performance.now() - t1;
        batches++;
        if (batches === 1) fault("during-export");
        o.onProgress?.(Number(count));
      }
    }
    const t0 = performance.now();
    const files = await writer.close();
    t.writeMs += performance.now() - t0;
    return {
      files,
      checksum: { count, sum },
      bytesWritten: files.reduce((s, f) => s + f.fileSizeInBytes, 0),
      batches,
      ...t,
    };
  } catch (e) {
    await writer.abort().catch(() => {});
    throw e;
  }
}

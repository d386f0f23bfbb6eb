/**
 * Streams one chunk's rows into Iceberg data files. The chunk's time range is
 * cut into windows expected to hold about `batchRows` rows; each window is one
 * SELECT (its own short transaction — on the embedded engine a transaction
 * blocks every other client). A worker thread (export-worker.ts) reads the
 * windows and builds Arrow batches while this thread encodes Parquet and
 * uploads through the Iceberg writer, so the stages overlap and the database
 * connection is always drained. Every row's canonical hash is computed by
 * Postgres in the same SELECT, so the chunk's checksum costs no second scan.
 *
 * The windows read the chunk in separate transactions; that they saw one
 * consistent state is proven at commit time by the unchanged chunk
 * fingerprint (any write in between changes it).
 */
import { Worker } from "node:worker_threads";
import { type DataFile, type LoadedTable, type TableContext, tableWriter } from "@netflow/iceberg";
import * as A from "apache-arrow";
import { fault } from "../faults.ts";
import { type Checksum, pgCanonicalTextExpr, pgHashOfText } from "../hash/row-hash.ts";
import type { ExportWorkerInput, ExportWorkerMessage } from "./export-worker.ts";

export interface ExportOptions {
  readonly pgUrl: string;
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
  /** Milliseconds waiting for the reader (database + Arrow conversion), and encoding + uploading. */
  readonly readMs: number;
  readonly writeMs: number;
}

/** Batches the reader may have in flight ahead of the encoder. */
const CREDITS = 2;

/**
 * Each row travels as its canonical text (one column: on the embedded engine
 * every result column costs more than the text formatting) plus its hash,
 * computed by Postgres over that same text.
 */
export function exportQuery(relation: string): string {
  return `SELECT c, ${pgHashOfText("c")} FROM (
  SELECT ${pgCanonicalTextExpr()} AS c
  FROM ${relation}
  WHERE ts >= 'epoch'::timestamptz + $1::bigint * interval '1 microsecond'
    AND ts < 'epoch'::timestamptz + $2::bigint * interval '1 microsecond'
  LIMIT $3) s`;
}

/** The reader thread as an async iterator of messages. */
async function* readBatches(input: ExportWorkerInput): AsyncGenerator<Extract<ExportWorkerMessage, { type: "batch" }>> {
  const worker = new Worker(new URL("./export-worker-boot.mjs", import.meta.url), { workerData: input });
  const queue: ExportWorkerMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on("message", (m: ExportWorkerMessage) => {
    queue.push(m);
    wake?.();
  });
  worker.on("error", (e) => {
    failure = e;
    wake?.();
  });
  worker.on("exit", (code) => {
    if (code !== 0) failure ??= new Error(`export worker exited with code ${code}`);
    wake?.();
  });
  worker.postMessage({ credit: CREDITS });
  try {
    for (;;) {
      const m = queue.shift();
      if (!m) {
        if (failure) throw failure;
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (m.type === "done") return;
      if (m.type === "error") throw Object.assign(new Error(m.message), { code: m.code });
      yield m;
      worker.postMessage({ credit: 1 });
    }
  } finally {
    await worker.terminate();
  }
}

export async function exportChunk(
  ctx: TableContext,
  table: LoadedTable,
  chunk: { relation: string; rangeStart: Date; rangeEnd: Date },
  o: ExportOptions,
): Promise<ExportResult> {
  const start = BigInt(chunk.rangeStart.getTime()) * 1000n;
  const end = BigInt(chunk.rangeEnd.getTime()) * 1000n;
  const windows = BigInt(Math.max(1, Math.ceil(o.estimatedRows / o.batchRows)));
  const step = (end - start + windows - 1n) / windows;
  const writer = tableWriter(ctx, table, { targetFileSizeBytes: o.targetFileSizeBytes, rowGroupRows: o.rowGroupRows });
  const t = { readMs: 0, writeMs: 0 };
  let count = 0n;
  let sum = 0n;
  let batches = 0;
  try {
    let t0 = performance.now();
    // A window may hold up to 4× the expected rows (skew); beyond, it is split.
    for await (const m of readBatches({
      pgUrl: o.pgUrl,
      sql: exportQuery(chunk.relation),
      start: start.toString(),
      end: end.toString(),
      step: step.toString(),
      cap: o.batchRows * 4,
    })) {
      const t1 = performance.now();
      t.readMs += t1 - t0;
      count += BigInt(m.rows);
      sum += BigInt(m.sum);
      for (const batch of A.tableFromIPC(m.ipc).batches) await writer.write(batch);
      batches++;
      if (batches === 1) fault("during-export");
      o.onProgress?.(Number(count));
      t0 = performance.now();
      t.writeMs += t0 - t1;
    }
    const t1 = performance.now();
    const files = await writer.close();
    t.writeMs += performance.now() - t1;
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

/**
 * Streams one chunk's rows into Iceberg data files. The chunk's time range is
 * cut into windows expected to hold about `batchRows` rows; each window is one
 * SELECT (its own short transaction — on the embedded engine a transaction
 * blocks every other client). A worker thread (export-worker.ts) reads the
 * windows and builds Arrow batches while this thread encodes Parquet and
 * uploads through the Iceberg writer, so the stages overlap and the database
 * connection is always drained. Each row travels as its canonical text and
 * the reader thread hashes that text (row-hash.ts, node:crypto) before
 * building the Arrow batch from it, so the checksum is of exactly the rows
 * that were encoded, costs the database nothing (Postgres' md5 was ~45% of the
 * embedded engine's export time) and needs no second scan. Whether the export
 * saw the whole chunk is checked against the chunk's own flow count
 * (job.ts), and what was written against DuckDB's read-back (verify.ts).
 *
 * The windows read the chunk in separate transactions; that they saw one
 * consistent state is proven at commit time by the unchanged chunk
 * fingerprint (any write in between changes it).
 */
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import {
  arrowSchema,
  type DataFile,
  FLOW_TIE_COLUMNS,
  flowTableSchema,
  type LoadedTable,
  type TableContext,
  tableWriter,
} from "@netflow/iceberg";
import * as A from "apache-arrow";
import { ArchiverError } from "../errors.ts";
import { fault } from "../faults.ts";
import { type Checksum, pgCanonicalTextExpr } from "../hash/row-hash.ts";
import type { ExportWorkerInput, ExportWorkerMessage } from "./export-worker.ts";
import { PipelinedStore } from "./upload-pipe.ts";

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
  /** Computed by the reader thread over the exported rows' canonical texts. */
  readonly checksum: Checksum;
  readonly bytesWritten: number;
  readonly batches: number;
  readonly timings: ExportTimings;
}

/** Milliseconds per export stage. The stages overlap, so they add up to more than the export's wall time. */
export interface ExportTimings {
  /** Reader thread start-up (module loading) until its first query. */
  readonly readerStartupMs: number;
  /** Reader thread waiting for the database (the engine's time beyond the reader's own work). */
  readonly dbWaitMs: number;
  /** Reader thread hashing rows and building Arrow batches. */
  readonly convertMs: number;
  /** Main thread waiting for the reader's next batch. */
  readonly waitForReaderMs: number;
  /** Main thread busy (event-loop active time): Arrow decode, sorting, metrics, Parquet encoding. */
  readonly encodeMs: number;
  /** The object store busy writing bytes (not waiting for the encoder). */
  readonly uploadMs: number;
}

/** Encoded bytes the upload may lag behind the encoder (2 S3 parts). */
const UPLOAD_AHEAD_BYTES = 16 * 1024 * 1024;

/**
 * Rows the reader may have in flight ahead of the encoder (~10 MB as Arrow).
 * The writer flushes a whole row group at once (131072 rows by default, up to
 * a second of sorting and encoding); the reader must be able to keep reading
 * meanwhile, or the database sits idle.
 */
const AHEAD_ROWS = 65_536;

/**
 * Each row travels as its canonical text, one column: on the embedded engine
 * every result column costs more than the text formatting.
 */
export function exportQuery(relation: string): string {
  return `SELECT ${pgCanonicalTextExpr()}
FROM ${relation}
WHERE ts >= 'epoch'::timestamptz + $1::bigint * interval '1 microsecond'
  AND ts < 'epoch'::timestamptz + $2::bigint * interval '1 microsecond'
LIMIT $3`;
}

/** The export's windows over a chunk's range: epoch-microsecond bounds of about `batchRows` rows each. */
export function exportWindows(
  chunk: { rangeStart: Date; rangeEnd: Date },
  estimatedRows: number,
  batchRows: number,
): { start: bigint; end: bigint; step: bigint } {
  const start = BigInt(chunk.rangeStart.getTime()) * 1000n;
  const end = BigInt(chunk.rangeEnd.getTime()) * 1000n;
  const windows = BigInt(Math.max(1, Math.ceil(estimatedRows / batchRows)));
  return { start, end, step: (end - start + windows - 1n) / windows };
}

/** The reader thread as an async iterator of messages. */
async function* readBatches(
  input: Omit<ExportWorkerInput, "createdAt">,
  credits: number,
): AsyncGenerator<Extract<ExportWorkerMessage, { type: "batch" }>> {
  const worker = new Worker(new URL("./export-worker-boot.mjs", import.meta.url), {
    workerData: { ...input, createdAt: performance.now() } satisfies ExportWorkerInput,
  });
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
  worker.postMessage({ credit: credits });
  try {
    for (;;) {
      const m = queue.shift();
      if (!m) {
        if (failure) throw failure;
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (m.type === "done") return;
      if (m.type === "error")
        throw m.archiver
          ? new ArchiverError(m.archiver.kind, m.message, { retryable: m.archiver.retryable })
          : Object.assign(new Error(m.message), { code: m.code });
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
  const { start, end, step } = exportWindows(chunk, o.estimatedRows, o.batchRows);
  const store = new PipelinedStore(ctx.store, UPLOAD_AHEAD_BYTES);
  const writer = tableWriter({ ...ctx, store }, table, {
    targetFileSizeBytes: o.targetFileSizeBytes,
    rowGroupRows: o.rowGroupRows,
    clusterTiesBy: FLOW_TIE_COLUMNS,
  });
  const t = { waitForReaderMs: 0, dbWaitMs: 0, convertMs: 0, readerStartupMs: 0 };
  const elu0 = performance.eventLoopUtilization();
  let count = 0n;
  let sum = 0n;
  let batches = 0;
  try {
    let t0 = performance.now();
    // A window may hold up to 4× the expected rows (skew); beyond, it is split.
    for await (const m of readBatches(
      {
        pgUrl: o.pgUrl,
        sql: exportQuery(chunk.relation),
        start: start.toString(),
        end: end.toString(),
        step: step.toString(),
        cap: o.batchRows * 4,
        schemaIpc: A.tableToIPC(new A.Table(arrowSchema(flowTableSchema())), "stream"),
      },
      Math.max(2, Math.ceil(AHEAD_ROWS / o.batchRows)),
    )) {
      const t1 = performance.now();
      t.waitForReaderMs += t1 - t0;
      t.dbWaitMs += m.dbWaitMs;
      t.convertMs += m.convertMs;
      t.readerStartupMs += m.startupMs ?? 0;
      count += BigInt(m.rows);
      sum += BigInt(m.sum);
      for (const batch of A.tableFromIPC(m.ipc).batches) await writer.write(batch);
      batches++;
      if (batches === 1) fault("during-export");
      o.onProgress?.(Number(count));
      t0 = performance.now();
    }
    const files = await writer.close();
    return {
      files,
      checksum: { count, sum },
      bytesWritten: files.reduce((s, f) => s + f.fileSizeInBytes, 0),
      batches,
      timings: {
        readerStartupMs: t.readerStartupMs,
        dbWaitMs: t.dbWaitMs,
        convertMs: t.convertMs,
        waitForReaderMs: t.waitForReaderMs,
        encodeMs: performance.eventLoopUtilization(elu0).active,
        uploadMs: store.stats.uploadMs,
      },
    };
  } catch (e) {
    await writer.abort().catch(() => {});
    throw e;
  }
}

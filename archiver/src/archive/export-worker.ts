/**
 * Worker thread of the export: reads the chunk window by window, hashes each
 * row's canonical text and turns the rows into Arrow IPC batches, while the main thread encodes Parquet and
 * uploads. Reading here keeps the database connection drained even while the
 * main thread is busy in the (synchronous) Parquet encoder — on the embedded
 * engine a client that does not read its results holds the engine for every
 * other client. Flow control: the worker sends a batch only when it has a
 * credit from the main thread, so at most `credits` batches are in memory.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as A from "apache-arrow";
import pg from "pg";
import { ArchiverError, type ArchiverErrorKind } from "../errors.ts";
import { TextChecksum } from "../hash/row-hash.ts";
import { canonicalTextsToRecordBatch } from "./canonical-batch.ts";

export interface ExportWorkerInput {
  readonly pgUrl: string;
  readonly sql: string;
  /** Window bounds in epoch microseconds, as decimal strings. */
  readonly start: string;
  readonly end: string;
  readonly step: string;
  /** A window with more rows than this is split in two. */
  readonly cap: number;
  /** The batches' Arrow schema, as an Arrow IPC stream of no rows. */
  readonly schemaIpc: Uint8Array;
  /** `performance.now()` when the thread was created (threads share the process's time origin). */
  readonly createdAt: number;
}

export type ExportWorkerMessage =
  | {
      type: "batch";
      rows: number;
      /** Row-hash sum of the batch's canonical texts (decimal). */
      sum: string;
      ipc: Uint8Array;
      /** Milliseconds this batch's window kept the reader waiting for the database, and converting. */
      dbWaitMs: number;
      convertMs: number;
      /** On the first batch: milliseconds from the thread's start to its first query. */
      startupMs?: number;
    }
  | { type: "done" }
  | {
      type: "error";
      message: string;
      /** A Postgres SQLSTATE, when the database failed. */
      code: string | undefined;
      /** Set when the error was an ArchiverError (e.g. a non-canonical row: permanent). */
      archiver?: { kind: ArchiverErrorKind; retryable: boolean };
    };

type Row = [string];
const RAW_TEXT: pg.CustomTypesConfig = { getTypeParser: () => (v: string) => v };

async function run(input: ExportWorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("export-worker must run in a worker thread");
  let credits = 0;
  let wake: (() => void) | undefined;
  port.on("message", (m: { credit: number }) => {
    credits += m.credit;
    wake?.();
  });
  const startupMs = performance.now() - input.createdAt;
  const schema = A.tableFromIPC(input.schemaIpc).schema;
  let first = true;
  const client = new pg.Client({ connectionString: input.pgUrl, application_name: "netflow-archiver-export" });
  await client.connect();
  try {
    const fetch = async (lo: bigint, hi: bigint): Promise<Row[][]> => {
      const limit = hi - lo <= 1n ? null : input.cap + 1;
      const r = await client.query<Row>({
        text: input.sql,
        values: [lo.toString(), hi.toString(), limit],
        rowMode: "array",
        types: RAW_TEXT,
      });
      if (limit !== null && r.rows.length > input.cap) {
        const mid = lo + (hi - lo) / 2n;
        return [...(await fetch(lo, mid)), ...(await fetch(mid, hi))];
      }
      return [r.rows];
    };
    const end = BigInt(input.end);
    const step = BigInt(input.step);
    const window = (lo: bigint): Promise<Row[][]> => fetch(lo, lo + step < end ? lo + step : end);
    let lo = BigInt(input.start);
    let pending: Promise<Row[][]> | undefined = window(lo);
    while (pending) {
      let t0 = performance.now();
      const parts = await pending;
      let dbWaitMs = performance.now() - t0;
      lo += step;
      // The next window is read while this one is converted (the engine only
      // waits for the few ms of conversion between socket reads).
      pending = lo < end ? window(lo) : undefined;
      pending?.catch(() => {});
      for (const rows of parts) {
        if (rows.length === 0) continue;
        t0 = performance.now();
        // Hashed from the very texts the batch is built from.
        const texts = rows.map((row) => row[0]);
        const checksum = new TextChecksum();
        for (const t of texts) checksum.add(t);
        const batch = canonicalTextsToRecordBatch(texts, schema);
        const ipc = A.tableToIPC(new A.Table([batch]), "stream");
        const convertMs = performance.now() - t0;
        while (credits === 0) await new Promise<void>((r) => (wake = r));
        credits--;
        const msg: ExportWorkerMessage = {
          type: "batch",
          rows: rows.length,
          sum: checksum.result().sum.toString(),
          ipc,
          dbWaitMs,
          convertMs,
          ...(first ? { startupMs } : {}),
        };
        dbWaitMs = 0;
        first = false;
        port.postMessage(msg, [ipc.buffer as ArrayBuffer]);
      }
    }
    port.postMessage({ type: "done" } satisfies ExportWorkerMessage);
  } finally {
    await client.end().catch(() => {});
  }
}

run(workerData as ExportWorkerInput).catch((e: unknown) => {
  const err = e as { message?: string; code?: string };
  parentPort?.postMessage({
    type: "error",
    message: err.message ?? String(e),
    code: err.code,
    ...(e instanceof ArchiverError ? { archiver: { kind: e.kind, retryable: e.retryable } } : {}),
  } satisfies ExportWorkerMessage);
});

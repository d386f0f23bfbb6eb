/**
 * Streams one Parquet file to the object store, one row group at a time,
 * encoded by parquet-wasm: its `transformParquetStream` (arrow-rs's
 * ArrowWriter compiled to WebAssembly) turns a stream of record batches into a
 * stream of bytes for ParquetUpload, so memory holds about one row group. The
 * input stream is pull-based: `writeRowGroup` resolves once the encoder has
 * taken the batch, which is the backpressure. native-sink.ts is the same
 * encoder built natively, used when it is built (see parquet-encoder.ts).
 */
import * as A from "apache-arrow";
import * as PW from "parquet-wasm";
import type { ObjectStore } from "../io/object-store.ts";
import type { ParquetFooter } from "./parquet-footer.ts";
import { ParquetUpload } from "./parquet-upload.ts";

export interface ParquetSinkOptions {
  /** Rows per row group; each `writeRowGroup` call must pass at most this many. */
  readonly rowGroupRows: number;
  /** Writer string stored in the footer. */
  readonly createdBy: string;
  /**
   * Columns that get Parquet chunk statistics (min/max for row-group pruning by
   * readers). The Iceberg metrics never come from them (the writer computes
   * those itself), so statistics are only worth their encoding time where a
   * reader prunes row groups: the sort and partition columns. Default all.
   */
  readonly statisticsColumns?: readonly string[];
  /** Parquet data page version: 1 (default, readable everywhere) or 2. */
  readonly dataPageVersion?: 1 | 2;
  /**
   * Rows tying on this column (the file's one sort column) are grouped by `clusterBy` to
   * compress better (native encoder; see iceberg/native/src/cluster.rs).
   */
  readonly clusterTies?: { readonly tieColumn: string; readonly clusterBy: readonly string[] };
}

/** What DataFileWriter needs of a Parquet file being written (parquet-wasm or native). */
export interface RowGroupSink {
  readonly location: string;
  /** Bytes the encoder has emitted so far (a lower bound of the final file size). */
  readonly bytesWritten: number;
  /** Writes one row group (at most rowGroupRows rows), given as consecutive batches. */
  writeRowGroup(batches: readonly A.RecordBatch[]): Promise<void>;
  /** Finishes the file; returns its exact size and parsed footer. */
  finish(): Promise<{ size: number; footer: ParquetFooter }>;
  /** Stops writing; the caller deletes the object if it was created. */
  abort(): Promise<void>;
}

export class ParquetSink implements RowGroupSink {
  private readonly queue: PW.RecordBatch[] = [];
  private pullWaiter: (() => void) | undefined;
  private takenWaiters: (() => void)[] = [];
  private closed = false;
  private readonly upload: ParquetUpload;

  constructor(
    store: ObjectStore,
    readonly location: string,
    options: ParquetSinkOptions,
  ) {
    // The WASM encode alone takes ~1.1 µs/row on the bench's flows, compression off
    // too: it bounds this writer near 0.4× DuckDB's native COPY (bench/iceberg-write);
    // the native build of the same encoder (native-sink.ts) takes ~0.35.
    // Measured on the benchmark's flows (bench/iceberg-write, encode only): statistics off
    // and data page v2 each looked 20-30% faster, but in the whole writer the difference
    // was within the noise, so both stay opt-in. DELTA_BINARY_PACKED and dictionary-off
    // variants were larger (dictionary encoding wins), so encodings stay default.
    let builder = new PW.WriterPropertiesBuilder()
      .setCompression(PW.Compression.ZSTD)
      .setWriterVersion(options.dataPageVersion === 2 ? PW.WriterVersion.V2 : PW.WriterVersion.V1)
      .setMaxRowGroupSize(options.rowGroupRows)
      .setCreatedBy(options.createdBy);
    if (options.statisticsColumns) {
      builder = builder.setStatisticsEnabled(PW.EnabledStatistics.None);
      for (const c of options.statisticsColumns)
        builder = builder.setColumnStatisticsEnabled(c, PW.EnabledStatistics.Chunk);
    } else builder = builder.setStatisticsEnabled(PW.EnabledStatistics.Chunk);
    const props = builder.build();
    const input = new ReadableStream<PW.RecordBatch>(
      {
        pull: async (ctrl) => {
          while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => (this.pullWaiter = r));
          const next = this.queue.shift();
          if (next) ctrl.enqueue(next);
          else ctrl.close();
          for (const w of this.takenWaiters.splice(0)) w();
        },
      },
      { highWaterMark: 0 },
    );
    async function* chunks(): AsyncIterable<Uint8Array> {
      const out = await PW.transformParquetStream(input, props);
      const reader = (out as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    }
    this.upload = new ParquetUpload(store, location, chunks(), () => {
      for (const w of this.takenWaiters.splice(0)) w();
    });
  }

  get bytesWritten(): number {
    return this.upload.bytesWritten;
  }

  async writeRowGroup(batches: readonly A.RecordBatch[]): Promise<void> {
    if (this.upload.failure) throw this.upload.failure;
    const table = new A.Table(batches[0]!.schema, [...batches]);
    const wasmTable = PW.Table.fromIPCStream(A.tableToIPC(table, "stream"));
    for (const b of wasmTable.recordBatches()) this.queue.push(b);
    const taken = new Promise<void>((r) => this.takenWaiters.push(r));
    this.pullWaiter?.();
    this.pullWaiter = undefined;
    await taken;
    if (this.upload.failure) throw this.upload.failure;
  }

  finish(): Promise<{ size: number; footer: ParquetFooter }> {
    this.closed = true;
    this.pullWaiter?.();
    return this.upload.finish();
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.pullWaiter?.();
    await this.upload.settled();
  }
}

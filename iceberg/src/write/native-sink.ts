/**
 * Streams one Parquet file to the object store, encoded by the native build
 * of arrow-rs's ArrowWriter (iceberg/native): each row group goes in as the
 * Arrow buffers of its columns (not serialized to IPC: that copy cost more
 * than a tenth of the encode), the bytes the file grew by come back and queue for
 * ParquetUpload. `writeRowGroup` waits while more than QUEUE_BYTES are
 * queued, so memory holds about one row group plus that, as with parquet-wasm.
 */
import * as A from "apache-arrow";
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import type { NativeColumn, NativeEncoder, NativeEncoderClass } from "./parquet-encoder.ts";
import type { ParquetFooter } from "./parquet-footer.ts";
import type { ParquetSinkOptions, RowGroupSink } from "./parquet-sink.ts";
import { ParquetUpload } from "./parquet-upload.ts";

/** Encoded bytes allowed to wait for the upload before the writer waits too. */
const QUEUE_BYTES = 16 * 1024 * 1024;

export class NativeParquetSink implements RowGroupSink {
  /** Made at the first row group, from its schema. */
  private encoder: NativeEncoder | undefined;
  private readonly upload: ParquetUpload;
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Bytes the encoder produced (the upload may not have taken them yet). */
  private encodedBytes = 0;
  private ended = false;
  /** Wakes the upload's reader when a chunk arrives or the input ends. */
  private dataWaiter: (() => void) | undefined;
  /** Wakes writers waiting for the queue to drain (or for a failure). */
  private roomWaiters: (() => void)[] = [];

  constructor(
    store: ObjectStore,
    readonly location: string,
    private readonly options: ParquetSinkOptions,
    private readonly Encoder: NativeEncoderClass,
  ) {
    this.upload = new ParquetUpload(store, location, this.chunks(), () => this.wakeWriters());
  }

  get bytesWritten(): number {
    return this.encodedBytes;
  }

  private async *chunks(): AsyncIterable<Uint8Array> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        this.queuedBytes -= next.byteLength;
        if (this.queuedBytes <= QUEUE_BYTES) this.wakeWriters();
        yield next;
      } else if (this.ended) return;
      else await new Promise<void>((r) => (this.dataWaiter = r));
    }
  }

  private wakeWriters(): void {
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.byteLength;
    this.encodedBytes += chunk.byteLength;
    this.dataWaiter?.();
    this.dataWaiter = undefined;
  }

  async writeRowGroup(batches: readonly A.RecordBatch[]): Promise<void> {
    if (this.upload.failure) throw this.upload.failure;
    const schema = batches[0]!.schema;
    this.encoder ??= new this.Encoder(A.tableToIPC(new A.Table(schema), "stream"), {
      rowGroupRows: this.options.rowGroupRows,
      createdBy: this.options.createdBy,
      ...(this.options.statisticsColumns ? { statisticsColumns: [...this.options.statisticsColumns] } : {}),
      ...(this.options.dataPageVersion ? { dataPageVersion: this.options.dataPageVersion } : {}),
      ...(this.options.clusterTies
        ? { tieColumn: this.options.clusterTies.tieColumn, clusterBy: [...this.options.clusterTies.clusterBy] }
        : {}),
    });
    this.push(this.encoder.writeColumns(batches.map((b) => b.data.children.map(nativeColumn))));
    while (this.queuedBytes > QUEUE_BYTES && !this.upload.failure)
      await new Promise<void>((r) => this.roomWaiters.push(r));
    if (this.upload.failure) throw this.upload.failure;
  }

  finish(): Promise<{ size: number; footer: ParquetFooter }> {
    if (this.encoder === undefined) throw new IcebergError("invalid-operation", "a Parquet file needs a row group");
    this.push(this.encoder.finish());
    this.end();
    return this.upload.finish();
  }

  async abort(): Promise<void> {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.end();
    await this.upload.settled();
  }

  private end(): void {
    this.ended = true;
    this.dataWaiter?.();
    this.dataWaiter = undefined;
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A column's Arrow buffers for the native encoder, which copies them. */
function nativeColumn(d: A.Data): NativeColumn {
  if (d.offset !== 0) throw new IcebergError("invalid-data", "a sliced Arrow column reached the native encoder");
  return {
    length: d.length,
    values: bytesOf(d.values),
    ...(d.valueOffsets ? { offsets: bytesOf(d.valueOffsets) } : {}),
    ...(d.nullCount > 0 && d.nullBitmap ? { validity: bytesOf(d.nullBitmap) } : {}),
  };
}

/**
 * The object-store side of writing one Parquet file, whichever encoder makes
 * the bytes: they stream into `ObjectStore.put` (multipart on S3) as they
 * come, counted, with the last MiB kept so the footer can be parsed without
 * reading the file back.
 */
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { footerLength, type ParquetFooter, parseFooter } from "./parquet-footer.ts";

/** Bytes of the file's end kept in memory: enough for the footer of any file this writer produces. */
const TAIL_BYTES = 1 << 20;

export class ParquetUpload {
  private bytes = 0;
  private tail: Uint8Array = new Uint8Array(0);
  private readonly put: Promise<{ size: number }>;
  failure: unknown;

  constructor(
    private readonly store: ObjectStore,
    readonly location: string,
    chunks: AsyncIterable<Uint8Array>,
    onFailure: (error: unknown) => void,
  ) {
    const upload = this;
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const chunk of chunks) {
        upload.bytes += chunk.byteLength;
        upload.keepTail(chunk);
        yield chunk;
      }
    }
    this.put = store.put(location, counted());
    this.put.catch((e: unknown) => {
      this.failure = e;
      onFailure(e);
    });
  }

  /** Bytes the encoder has emitted so far (a lower bound of the final file size). */
  get bytesWritten(): number {
    return this.bytes;
  }

  private keepTail(chunk: Uint8Array): void {
    if (chunk.byteLength >= TAIL_BYTES) this.tail = chunk.slice(chunk.byteLength - TAIL_BYTES);
    else {
      const merged = new Uint8Array(Math.min(TAIL_BYTES, this.tail.byteLength + chunk.byteLength));
      const fromTail = merged.byteLength - chunk.byteLength;
      merged.set(this.tail.subarray(this.tail.byteLength - fromTail), 0);
      merged.set(chunk, fromTail);
      this.tail = merged;
    }
  }

  /** Waits for the upload once the encoder's input ended; returns the exact size and parsed footer. */
  async finish(): Promise<{ size: number; footer: ParquetFooter }> {
    const { size } = await this.put;
    let tail = this.tail;
    const len = footerLength(tail.subarray(tail.byteLength - 8), this.location);
    if (len + 8 > tail.byteLength) tail = await this.store.getRange(this.location, size - len - 8, len + 8);
    const footer = parseFooter(tail.subarray(tail.byteLength - 8 - len, tail.byteLength - 8), this.location);
    if (size !== this.bytes)
      throw new IcebergError("io", `stored size ${size} differs from encoded size ${this.bytes}`, {
        file: this.location,
      });
    return { size, footer };
  }

  /** Waits for the upload to settle after an abort; its failure is the caller's to ignore. */
  async settled(): Promise<void> {
    await this.put.catch(() => undefined);
  }
}

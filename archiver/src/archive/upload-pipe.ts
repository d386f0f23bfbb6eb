/**
 * Decouples Parquet encoding from uploading. The iceberg writer's Parquet
 * sink encodes only when the store pulls the next bytes, and the S3 store
 * awaits each part's upload before pulling again, so on their own the two
 * stages take turns. This store wrapper pulls encoded bytes ahead into a
 * bounded buffer (`aheadBytes`) while the inner store uploads, so the encoder
 * keeps working during network waits and memory stays at one row group plus
 * the buffer, whatever the file size.
 *
 * It also measures the upload stage: the time the inner store spends
 * consuming bytes (writing them out), apart from the time it waits for the
 * encoder.
 */
import type { ObjectInfo, ObjectStore, PutBody } from "@netflow/iceberg";

export interface UploadStats {
  /** Milliseconds the inner store was busy writing bytes (not waiting for the encoder). */
  uploadMs: number;
  bytes: number;
}

/** Pulls `body` ahead of its consumer, holding at most `aheadBytes` (plus one chunk) unconsumed. */
export async function* readAhead(
  body: AsyncIterable<Uint8Array>,
  aheadBytes: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const buffered: Uint8Array[] = [];
  let bytes = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const producer = (async () => {
    try {
      for await (const chunk of body) {
        buffered.push(chunk);
        bytes += chunk.byteLength;
        wakeConsumer?.();
        while (bytes >= aheadBytes && !stopped) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) return;
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  })();
  try {
    for (;;) {
      const next = buffered.shift();
      if (next) {
        bytes -= next.byteLength;
        wakeProducer?.();
        yield next;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((r) => (wakeConsumer = r));
    }
  } finally {
    // The consumer stopped early (an upload failed): the producer ends at its next
    // chunk. It is not awaited: it may be waiting for the encoder, which waits for
    // input the writer only sends once it has seen this upload's failure.
    stopped = true;
    wakeProducer?.();
    void producer;
  }
}

/** Adds the time its consumer waits for each chunk of `body` to `wait.ms`. */
async function* timedWait(body: AsyncIterable<Uint8Array>, wait: { ms: number }): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const t0 = performance.now();
      const r = await it.next();
      wait.ms += performance.now() - t0;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

export class PipelinedStore implements ObjectStore {
  readonly stats: UploadStats = { uploadMs: 0, bytes: 0 };

  constructor(
    private readonly inner: ObjectStore,
    private readonly aheadBytes: number,
  ) {}

  async put(location: string, body: PutBody): Promise<{ size: number }> {
    if (body instanceof Uint8Array) return await this.inner.put(location, body);
    const wait = { ms: 0 };
    const t0 = performance.now();
    try {
      const r = await this.inner.put(location, timedWait(readAhead(body, this.aheadBytes), wait));
      this.stats.bytes += r.size;
      return r;
    } finally {
      // Busy = the put's whole time minus the time it waited for encoded bytes.
      this.stats.uploadMs += performance.now() - t0 - wait.ms;
    }
  }

  get(location: string): Promise<Uint8Array> {
    return this.inner.get(location);
  }

  getRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return this.inner.getRange(location, offset, length);
  }

  head(location: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(location);
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix);
  }

  delete(location: string): Promise<void> {
    return this.inner.delete(location);
  }
}
